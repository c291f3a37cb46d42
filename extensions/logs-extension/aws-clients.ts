/** The AWS SDK pieces the logs extension uses, loaded (and in the layer, compiled) on first use. */
export { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
