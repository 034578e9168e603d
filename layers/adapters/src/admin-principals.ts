// Who may call the admin API: IAM role, user or account-root ARNs, exactly (no wildcards). The
// admin function checks each SigV4 caller against its list (ADMIN_PRINCIPAL_ARNS, comma-
// separated; an empty or missing list admits no one), behind API Gateway's IAM auth and the
// resource policy that names the same principals; the CDK app validates the list with this too.
//
// API Gateway reports a role session as `arn:aws:sts::<account>:assumed-role/<role>/<session>`,
// without the role's path; it matches the role `arn:aws:iam::<account>:role/[<path>/]<role>`
// (a role name is unique in its account, whatever its path). Users and roots match exactly.

const ROLE = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\x21-\x7e]+\/)?([\w+=,.@-]+)$/;
const USER_OR_ROOT = /^arn:aws[a-z-]*:iam::\d{12}:(?:user\/(?:[\x21-\x7e]+\/)?[\w+=,.@-]+|root)$/;
const SESSION = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[\w+=,.@-]+$/;

export class AdminPrincipals {
  readonly #roles = new Set<string>();
  readonly #exact = new Set<string>();

  /** Throws on an entry that is not an IAM role, user or root ARN (wildcards included). */
  constructor(arns: readonly string[]) {
    for (const arn of arns) {
      const role = ROLE.exec(arn);
      if (role) this.#roles.add(`${role[1]}:${role[2]}:${role[3]}`);
      else if (USER_OR_ROOT.test(arn)) this.#exact.add(arn);
      else throw new Error(`admin principal ${JSON.stringify(arn)} is not an IAM role, user or root ARN`);
    }
  }

  /** Parses ADMIN_PRINCIPAL_ARNS (comma-separated, blanks ignored). */
  static fromList(list: string | undefined): AdminPrincipals {
    const arns = (list ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    return new AdminPrincipals(arns);
  }

  get size(): number {
    return this.#roles.size + this.#exact.size;
  }

  /** Whether the SigV4 caller `callerArn` is an admin principal. */
  allows(callerArn: string | undefined): boolean {
    if (!callerArn) return false;
    const session = SESSION.exec(callerArn);
    if (session) return this.#roles.has(`${session[1]}:${session[2]}:${session[3]}`);
    return this.#exact.has(callerArn);
  }
}

/** Why `arn` cannot be an admin principal, or undefined when it can. */
export function adminPrincipalProblem(arn: string): string | undefined {
  try {
    new AdminPrincipals([arn]);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
