import { randomInt } from 'node:crypto';
import { AwsError } from '../aws-json-protocol';
import { LOCAL_ACCOUNT_ID } from '../../local-account';

/**
 * The secrets of the local Secrets Manager, in memory, one namespace per region. The store keeps the
 * data model and its invariants (a staging label sits on at most one version; moving AWSCURRENT
 * leaves AWSPREVIOUS on the version it left; at most `maxVersions` versions, the oldest unlabeled
 * ones dropped first; secrets purged when their recovery window ends); the service checks requests
 * and answers with AWS's errors.
 */

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';
export const AWSPENDING = 'AWSPENDING';

/** Secrets Manager's versions-per-secret quota. */
export const MAX_VERSIONS = 100;
export const DAY_MS = 86_400_000;

/** A version's value: SecretBinary is kept as it travels in JSON, base64. */
export type SecretValue = { SecretString: string } | { SecretBinary: string };

export interface SecretVersion {
  readonly versionId: string;
  /** Absent on the AWSPENDING placeholder RotateSecret creates before the rotation function runs. */
  value?: SecretValue;
  /** Epoch milliseconds. */
  readonly createdDate: number;
  /** Staging labels, in the order they were attached. No labels: the version is deprecated. */
  stages: string[];
  /** Epoch milliseconds of the UTC day of the last GetSecretValue. */
  lastAccessedDate?: number;
}

export interface Tag {
  Key: string;
  Value: string;
}

export interface RotationRules {
  AutomaticallyAfterDays?: number;
  Duration?: string;
  ScheduleExpression?: string;
}

export interface Secret {
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  readonly accountId: string;
  description?: string;
  kmsKeyId?: string;
  /** Epoch milliseconds, like every date below. */
  readonly createdDate: number;
  lastChangedDate: number;
  /** The UTC day of the last GetSecretValue. */
  lastAccessedDate?: number;
  /** When DeleteSecret was called; set while the secret is scheduled for deletion. */
  deletedDate?: number;
  /** When the recovery window ends and the secret is purged. */
  deletionDate?: number;
  tags: Tag[];
  readonly versions: Map<string, SecretVersion>;
  /** Undefined until RotateSecret first configures rotation (DescribeSecret then omits it). */
  rotationEnabled?: boolean;
  rotationLambdaArn?: string;
  rotationRules?: RotationRules;
  lastRotatedDate?: number;
  nextRotationDate?: number;
  /** The last rotation the local cloud's rotate callback failed; AWS only shows this in logs. */
  lastRotationError?: { token: string; message: string; date: number };
}

export interface SecretStoreOptions {
  /** The account in the ARNs; defaults to the sandbox's 123456789012. */
  accountId?: string;
  /** Versions kept per secret (AWS: 100). */
  maxVersions?: number;
  /** The clock, in epoch milliseconds (tests move it to end recovery windows). */
  now?: () => number;
}

const ARN_SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function partition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Labels per version id, replaced (never mutated) by `attach`, so a shallow copy simulates a change. */
type Labels = Map<string, string[]>;

/**
 * Puts `label` on `versionId`, taking it off the version that had it; when the label is AWSCURRENT,
 * the version it left gets AWSPREVIOUS (which leaves its own former holder) and the new current
 * version drops AWSPREVIOUS.
 */
function attach(labels: Labels, label: string, versionId: string): void {
  if (labels.get(versionId)?.includes(label)) return;
  for (const [id, held] of labels) {
    if (id !== versionId && held.includes(label)) {
      labels.set(
        id,
        held.filter((l) => l !== label),
      );
      if (label === AWSCURRENT) attach(labels, AWSPREVIOUS, id);
    }
  }
  let mine = [...(labels.get(versionId) ?? []), label];
  if (label === AWSCURRENT) mine = mine.filter((l) => l !== AWSPREVIOUS);
  labels.set(versionId, mine);
}

export class SecretStore {
  readonly accountId: string;
  readonly maxVersions: number;
  readonly now: () => number;
  private readonly regions = new Map<string, Map<string, Secret>>();

  constructor(options: SecretStoreOptions = {}) {
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.maxVersions = options.maxVersions ?? MAX_VERSIONS;
    this.now = options.now ?? Date.now;
  }

  /** The region's secrets by name, after purging those whose recovery window has ended. */
  private secretsIn(region: string): Map<string, Secret> {
    let secrets = this.regions.get(region);
    if (!secrets) {
      secrets = new Map();
      this.regions.set(region, secrets);
    }
    const now = this.now();
    for (const [name, secret] of secrets) {
      if (secret.deletionDate !== undefined && secret.deletionDate <= now) secrets.delete(name);
    }
    return secrets;
  }

  /** Every secret of the region, those scheduled for deletion included. */
  list(region: string): Secret[] {
    return [...this.secretsIn(region).values()];
  }

  /**
   * A secret by name, full ARN, or partial ARN (the ARN without the `-` and six random characters
   * Secrets Manager appends to the name).
   */
  find(region: string, secretId: string): Secret | undefined {
    const secrets = this.secretsIn(region);
    if (!secretId.startsWith('arn:')) return secrets.get(secretId);
    for (const secret of secrets.values()) if (secret.arn === secretId) return secret;
    for (const secret of secrets.values()) {
      if (secret.arn.length === secretId.length + 7 && secret.arn.startsWith(`${secretId}-`)) return secret;
    }
    return undefined;
  }

  create(
    region: string,
    init: { name: string; description?: string; kmsKeyId?: string; tags?: Tag[] },
  ): Secret {
    const secrets = this.secretsIn(region);
    if (secrets.has(init.name)) throw new Error(`secret ${init.name} already exists in ${region}`);
    let suffix = '';
    for (let i = 0; i < 6; i++) suffix += ARN_SUFFIX_CHARS[randomInt(ARN_SUFFIX_CHARS.length)];
    const now = this.now();
    const secret: Secret = {
      name: init.name,
      arn: `arn:${partition(region)}:secretsmanager:${region}:${this.accountId}:secret:${init.name}-${suffix}`,
      region,
      accountId: this.accountId,
      ...(init.description !== undefined ? { description: init.description } : {}),
      ...(init.kmsKeyId !== undefined ? { kmsKeyId: init.kmsKeyId } : {}),
      createdDate: now,
      lastChangedDate: now,
      tags: [...(init.tags ?? [])],
      versions: new Map(),
    };
    secrets.set(secret.name, secret);
    return secret;
  }

  /** Deletes a secret now (ForceDeleteWithoutRecovery, or the end of its recovery window). */
  purge(secret: Secret): void {
    const secrets = this.regions.get(secret.region);
    if (secrets?.get(secret.name) === secret) secrets.delete(secret.name);
  }

  /** The version carrying a staging label. */
  versionWithStage(secret: Secret, stage: string): SecretVersion | undefined {
    for (const version of secret.versions.values()) if (version.stages.includes(stage)) return version;
    return undefined;
  }

  /**
   * Creates version `versionId` (or fills the value of the AWSPENDING placeholder of that id) and
   * attaches `stages` to it, moving each from the version that had it. Fails with
   * LimitExceededException, changing nothing, when more than `maxVersions` versions would still
   * carry labels; otherwise drops the oldest unlabeled versions beyond `maxVersions`.
   */
  writeVersion(
    secret: Secret,
    versionId: string,
    value: SecretValue | undefined,
    stages: string[],
  ): SecretVersion {
    const existing = secret.versions.get(versionId);
    if (existing?.value) throw new Error(`version ${versionId} of ${secret.name} already has a value`);
    const labels: Labels = new Map([...secret.versions].map(([id, v]) => [id, v.stages]));
    if (!labels.has(versionId)) labels.set(versionId, []);
    for (const stage of stages) attach(labels, stage, versionId);
    // The new version is never dropped, labelled or not.
    const kept = [...labels].filter(([id, l]) => l.length > 0 || id === versionId).length;
    if (kept > this.maxVersions) {
      throw new AwsError(
        'LimitExceededException',
        `The secret ${secret.name} would have more than ${this.maxVersions} versions with staging labels. Remove staging labels from versions you no longer need so that Secrets Manager can delete them.`,
      );
    }
    const version: SecretVersion = existing ?? { versionId, createdDate: this.now(), stages: [] };
    if (value) version.value = value;
    secret.versions.set(versionId, version);
    this.commit(secret, labels);
    this.prune(secret, versionId);
    return version;
  }

  /** Moves `stage` onto `versionId` (UpdateSecretVersionStage with MoveToVersionId). */
  moveStage(secret: Secret, stage: string, versionId: string): void {
    const labels: Labels = new Map([...secret.versions].map(([id, v]) => [id, v.stages]));
    attach(labels, stage, versionId);
    this.commit(secret, labels);
  }

  /** Takes `stage` off `versionId` (UpdateSecretVersionStage with RemoveFromVersionId only). */
  removeStage(secret: Secret, stage: string, versionId: string): void {
    const version = secret.versions.get(versionId);
    if (version) version.stages = version.stages.filter((s) => s !== stage);
  }

  private commit(secret: Secret, labels: Labels): void {
    for (const [id, stages] of labels) {
      const version = secret.versions.get(id);
      if (version) version.stages = stages;
    }
  }

  /** Drops the oldest deprecated (unlabeled) versions while there are more than `maxVersions`. */
  private prune(secret: Secret, keep: string): void {
    if (secret.versions.size <= this.maxVersions) return;
    const deprecated = [...secret.versions.values()]
      .filter((v) => v.stages.length === 0 && v.versionId !== keep)
      .sort((a, b) => a.createdDate - b.createdDate);
    for (const version of deprecated) {
      if (secret.versions.size <= this.maxVersions) break;
      secret.versions.delete(version.versionId);
    }
  }
}
