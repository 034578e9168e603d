// Where the daily usage export writes: one S3 bucket, objects under `usage/` (PutObject only:
// the export function's grant). JSON lines, server-side encrypted by the bucket's default.
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { DEFAULT_REQUEST_HANDLER } from './aws-clients.ts';

/** An S3 client; `forcePathStyle` for local S3 servers on a bare host:port. */
export function createS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({ maxAttempts: 3, requestHandler: DEFAULT_REQUEST_HANDLER, ...config });
}

export class S3ObjectWriter {
  constructor(private readonly options: { client: S3Client; bucket: string }) {}

  async put(key: string, body: string, contentType = 'application/x-ndjson'): Promise<void> {
    await this.options.client.send(
      new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }
}
