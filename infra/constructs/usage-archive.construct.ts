// The usage archive: the S3 bucket the daily export writes billing data to (`usage/dt=.../`).
// Encrypted (S3-managed keys), all public access blocked, TLS enforced, objects owned by the
// bucket owner (no ACLs), versioned (an overwritten part is recoverable), retained when the
// stack goes; a lifecycle rule moves objects to Infrequent Access after 30 days and Glacier
// Instant Retrieval after 365, expires them after 7 years (noncurrent versions after 30 days),
// and aborts incomplete uploads after a day.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface UsageArchiveProps {
  /**
   * What happens to the bucket when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long exported usage is kept.
   * @default Duration.days(2557) (7 years)
   */
  readonly retention?: Duration;
}

export class UsageArchive extends Construct {
  public readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: UsageArchiveProps = {}) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'usage-tiering',
          prefix: 'usage/',
          transitions: [
            { storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
            { storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(365) },
          ],
          expiration: props.retention ?? Duration.days(2557),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
  }
}
