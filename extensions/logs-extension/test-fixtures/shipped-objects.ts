import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsCommand, type S3Client } from '@aws-sdk/client-s3';

/** One object the logs extension wrote, gunzipped. */
export interface ShippedObject {
  key: string;
  /** The NDJSON text. */
  text: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
}

/** The environment id and sequence number at the end of a key: objects of one environment sort in upload order. */
const ORDER = /\/\d{4}-\d\d-\d\dT[\d:.]+Z-(.+)-(\d{6,})\.ndjson\.gz$/;
function orderOf(key: string): [string, number] {
  const match = ORDER.exec(key);
  if (!match) throw new Error(`${key} is not a key the logs extension writes`);
  return [match[1]!, Number(match[2])];
}
/** By environment id (code point order), then sequence number. */
function byUploadOrder(a: string, b: string): number {
  const [envA, seqA] = orderOf(a);
  const [envB, seqB] = orderOf(b);
  return envA < envB ? -1 : envA > envB ? 1 : seqA - seqB;
}

/**
 * Every object under `prefix` in `bucket`, downloaded and gunzipped, in upload order per environment
 * (for the tests and the benchmark to read back what the extension shipped); environments in the
 * order of their ids, not in time. ListObjects (v1) with
 * Marker: s3rver's ListObjectsV2 continuation tokens are unreliable.
 */
export async function shippedObjects(
  client: S3Client,
  bucket: string,
  prefix = '',
): Promise<ShippedObject[]> {
  const keys: string[] = [];
  for (let marker: string | undefined; ;) {
    const page = await client.send(
      new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, ...(marker ? { Marker: marker } : {}) }),
    );
    const found = (page.Contents ?? []).map((o) => o.Key!);
    keys.push(...found);
    if (!page.IsTruncated || found.length === 0) break;
    marker = found[found.length - 1];
  }
  const objects = await Promise.all(
    keys.map(async (key) => {
      const o = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return {
        key,
        text: gunzipSync(await o.Body!.transformToByteArray()).toString('utf8'),
        contentType: o.ContentType,
        contentEncoding: o.ContentEncoding,
      };
    }),
  );
  return objects.sort((a, b) => byUploadOrder(a.key, b.key));
}
