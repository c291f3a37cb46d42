import { createHash } from 'node:crypto';
import { AwsError, validation } from '../aws-json-protocol';

/**
 * Parameter Store's data model, in memory: parameters with their version history, labels and tiers,
 * and the rules AWS applies when one is written (names, tiers and their size limits, allowed
 * patterns, the 100-version history). Errors are `AwsError`s carrying AWS's codes, so the service
 * layer passes them through unchanged.
 */

export const PARAMETER_TYPES = ['String', 'StringList', 'SecureString'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

export const REQUESTED_TIERS = ['Standard', 'Advanced', 'Intelligent-Tiering'] as const;
export type RequestedTier = (typeof REQUESTED_TIERS)[number];
export type ParameterTier = Exclude<RequestedTier, 'Intelligent-Tiering'>;

export const DEFAULT_KEY_ID = 'alias/aws/ssm';
export const STANDARD_VALUE_LIMIT = 4096;
export const ADVANCED_VALUE_LIMIT = 8192;
export const MAX_VERSIONS = 100;
export const MAX_LABELS_PER_VERSION = 10;
export const MAX_LABEL_LENGTH = 100;
export const MAX_NAME_LENGTH = 2048;
export const MAX_HIERARCHY_LEVELS = 15;

export interface Tag {
  Key: string;
  Value: string;
}

/** One version of a parameter. Everything but its labels is fixed once written. */
export interface ParameterVersion {
  readonly name: string;
  readonly type: ParameterType;
  readonly value: string;
  readonly version: number;
  readonly lastModifiedDate: Date;
  readonly lastModifiedUser: string;
  readonly dataType: 'text';
  readonly tier: ParameterTier;
  /** SecureString only. */
  readonly keyId?: string;
  readonly description?: string;
  readonly allowedPattern?: string;
  labels: string[];
}

export interface PutParameterInput {
  name: string;
  value: string;
  type?: ParameterType;
  overwrite?: boolean;
  tier?: RequestedTier;
  keyId?: string;
  description?: string;
  allowedPattern?: string;
  tags?: Tag[];
  /** Recorded as LastModifiedUser. */
  user?: string;
}

export interface ParameterStoreOptions {
  /** The account's default tier setting, used when a write names none: Standard unless set. */
  defaultTier?: RequestedTier;
  /** AWS allows 10,000 standard parameters per account and Region. */
  maxStandardParameters?: number;
  /** And 100,000 advanced ones. */
  maxAdvancedParameters?: number;
  clock?: () => Date;
}

interface ParameterRecord {
  /** Oldest first; at most MAX_VERSIONS. */
  versions: ParameterVersion[];
  tags: Tag[];
}

export class ParameterStore {
  private readonly records = new Map<string, ParameterRecord>();
  private readonly tierCounts: Record<ParameterTier, number> = { Standard: 0, Advanced: 0 };

  constructor(private readonly options: ParameterStoreOptions = {}) {}

  /** Creates a parameter or, with `overwrite`, adds a version to it. */
  put(input: PutParameterInput): { version: number; tier: ParameterTier } {
    const name = validateParameterName(input.name);
    const record = this.records.get(name);
    const previous = record?.versions.at(-1);
    if (input.overwrite && input.tags?.length) throw tagsWithOverwrite();
    if (previous && !input.overwrite) throw parameterAlreadyExists();
    const type = input.type ?? previous?.type;
    if (!type) throw validation('A parameter type is required when you create a parameter.');
    if (input.keyId !== undefined && type !== 'SecureString') {
      throw validation('KeyId is required for SecureString type parameter only.');
    }
    const allowedPattern = input.allowedPattern ?? previous?.allowedPattern;
    checkValue(input.value, allowedPattern);
    const tier = this.chooseTier(input.tier, previous?.tier, Buffer.byteLength(input.value, 'utf8'));
    if (record) makeRoomForVersion(record);
    const next: ParameterVersion = {
      name,
      type,
      value: input.value,
      version: (previous?.version ?? 0) + 1,
      lastModifiedDate: this.now(),
      lastModifiedUser: input.user ?? 'local',
      dataType: 'text',
      tier,
      keyId: type === 'SecureString' ? (input.keyId ?? previous?.keyId ?? DEFAULT_KEY_ID) : undefined,
      description: input.description ?? previous?.description,
      allowedPattern,
      labels: [],
    };
    this.store(name, record, next, input.tags ?? []);
    return { version: next.version, tier };
  }

  /** The latest version of a parameter, by its exact name. */
  latest(name: string): ParameterVersion | undefined {
    return this.records.get(name)?.versions.at(-1);
  }

  /** Every stored version of a parameter, oldest first (empty when it doesn't exist). */
  history(name: string): readonly ParameterVersion[] {
    return this.records.get(name)?.versions ?? [];
  }

  tags(name: string): readonly Tag[] {
    return this.records.get(name)?.tags ?? [];
  }

  /**
   * Resolves what GetParameter accepts: `name`, `name:version`, `name:label`, or the parameter's ARN
   * with the same selectors. Throws ParameterNotFound / ParameterVersionNotFound like AWS.
   */
  select(reference: string): { parameter: ParameterVersion; selector?: string } {
    const trimmed = reference.trim();
    const fromArn = ARN_PREFIX.test(trimmed);
    const parts = splitSelector(fromArn ? trimmed.replace(ARN_PREFIX, '') : trimmed);
    if (!parts) throw parameterNotFound(trimmed);
    const name = fromArn ? this.nameFromArn(parts.name) : parts.name;
    const versions = this.records.get(name)?.versions;
    if (!versions) throw parameterNotFound(trimmed);
    const { selector } = parts;
    if (selector === undefined) return { parameter: versions.at(-1)! };
    if (/^\d+$/.test(selector)) {
      const found = versions.find((v) => v.version === Number(selector));
      if (!found) throw parameterVersionNotFound(selector, name);
      return { parameter: found, selector };
    }
    const labeled = versions.find((v) => v.labels.includes(selector));
    if (!labeled) throw parameterNotFound(trimmed);
    return { parameter: labeled, selector };
  }

  /** Deletes a parameter with all its versions; false when there was none. */
  delete(name: string): boolean {
    const record = this.records.get(name);
    if (!record) return false;
    this.records.delete(name);
    this.tierCounts[record.versions.at(-1)!.tier] -= 1;
    return true;
  }

  /**
   * Attaches labels to one version (the latest when none is given), moving any of them that another
   * version of the parameter holds. Labels that break AWS's label rules are returned, not attached.
   */
  label(name: string, labels: string[], version?: number): { invalidLabels: string[]; version: number } {
    const versions = this.records.get(name)?.versions;
    if (!versions) throw parameterNotFound(name);
    const target = version === undefined ? versions.at(-1)! : versions.find((v) => v.version === version);
    if (!target) throw parameterVersionNotFound(String(version), name);
    const tooLong = labels.find((l) => l.length < 1 || l.length > MAX_LABEL_LENGTH);
    if (tooLong !== undefined) throw labelLengthError(tooLong);
    const invalidLabels = labels.filter((l) => !isValidLabel(l));
    const valid = [...new Set(labels.filter(isValidLabel))];
    const added = valid.filter((l) => !target.labels.includes(l));
    if (target.labels.length + added.length > MAX_LABELS_PER_VERSION) {
      throw new AwsError(
        'ParameterVersionLabelLimitExceeded',
        `A parameter version can have maximum ${MAX_LABELS_PER_VERSION} labels. Move one or more labels to another version and try again.`,
      );
    }
    for (const other of versions) {
      if (other !== target) other.labels = other.labels.filter((l) => !valid.includes(l));
    }
    target.labels.push(...added);
    return { invalidLabels, version: target.version };
  }

  /** The latest version of every parameter, ordered by name. */
  list(): ParameterVersion[] {
    return this.sortedRecords().map((r) => r.versions.at(-1)!);
  }

  /** For each parameter, its newest version carrying one of `labels` (parameters without one are skipped). */
  listLabeled(labels: readonly string[]): ParameterVersion[] {
    return this.sortedRecords().flatMap((r) => {
      const hit = r.versions.findLast((v) => v.labels.some((l) => labels.includes(l)));
      return hit ? [hit] : [];
    });
  }

  private sortedRecords(): ParameterRecord[] {
    return [...this.records.entries()].sort(([a], [b]) => compareNames(a, b)).map(([, r]) => r);
  }

  /** `foo` and `/foo` share the ARN `parameter/foo`: the slash-less one is tried first. */
  private nameFromArn(name: string): string {
    if (name.includes('/')) return `/${name}`;
    return this.records.has(name) ? name : `/${name}`;
  }

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }

  private store(name: string, record: ParameterRecord | undefined, next: ParameterVersion, tags: Tag[]) {
    const previousTier = record?.versions.at(-1)?.tier;
    if (previousTier) this.tierCounts[previousTier] -= 1;
    this.tierCounts[next.tier] += 1;
    if (record) record.versions.push(next);
    else this.records.set(name, { versions: [next], tags: [...tags] });
  }

  private chooseTier(requested: RequestedTier | undefined, current: ParameterTier | undefined, size: number) {
    // Omitting the tier on an advanced parameter keeps it advanced rather than asking for a downgrade.
    const wanted =
      requested ?? (current === 'Advanced' ? 'Advanced' : (this.options.defaultTier ?? 'Standard'));
    const tier = wanted === 'Intelligent-Tiering' ? this.intelligentTier(current, size) : wanted;
    if (current === 'Advanced' && tier === 'Standard') throw downgradeRefused();
    if (tier === 'Standard' && size > STANDARD_VALUE_LIMIT) throw standardTooLarge();
    if (size > ADVANCED_VALUE_LIMIT) throw advancedTooLarge();
    if (tier !== current && this.tierCounts[tier] >= this.tierLimit(tier)) throw parameterLimitExceeded();
    return tier;
  }

  /** Standard unless the write needs Advanced: a value over 4 KB, an advanced parameter, or a full standard quota. */
  private intelligentTier(current: ParameterTier | undefined, size: number): ParameterTier {
    if (current === 'Advanced' || size > STANDARD_VALUE_LIMIT) return 'Advanced';
    if (current !== 'Standard' && this.tierCounts.Standard >= this.tierLimit('Standard')) return 'Advanced';
    return 'Standard';
  }

  private tierLimit(tier: ParameterTier): number {
    return tier === 'Standard'
      ? (this.options.maxStandardParameters ?? 10_000)
      : (this.options.maxAdvancedParameters ?? 100_000);
  }
}

/** AWS keeps the newest 100 versions; the oldest goes unless a label pins it. */
function makeRoomForVersion(record: ParameterRecord): void {
  if (record.versions.length < MAX_VERSIONS) return;
  const oldest = record.versions[0]!;
  if (oldest.labels.length > 0) {
    throw new AwsError(
      'ParameterMaxVersionLimitExceeded',
      `You attempted to create a new version of ${oldest.name} by calling the PutParameter API with the overwrite flag. ` +
        `Version ${oldest.version}, the oldest version, can't be deleted because it has a label associated with it. ` +
        'Move the label to another version of the parameter, and try again.',
    );
  }
  record.versions.shift();
}

function checkValue(value: string, allowedPattern: string | undefined): void {
  if (/\{\{.*\}\}/s.test(value)) {
    throw validation('Parameter value can\'t nest another parameter. Do not use "{{}}" in the value.');
  }
  if (allowedPattern === undefined) return;
  let pattern: RegExp;
  try {
    // AWS matches the whole value against the pattern (Java's String.matches), not a substring.
    pattern = new RegExp(`^(?:${allowedPattern})$`);
  } catch {
    throw new AwsError(
      'InvalidAllowedPatternException',
      `The allowed pattern isn't a valid regular expression: ${allowedPattern}`,
    );
  }
  if (!pattern.test(value)) {
    throw new AwsError(
      'ParameterPatternMismatchException',
      `Parameter value, cannot be validated against allowedPattern: ${allowedPattern}`,
    );
  }
}

const NAME_RULES =
  'If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

/**
 * AWS's naming rules: surrounding spaces dropped; at most 2,048 characters; only `a-zA-Z0-9_.-` and
 * `/`; a name with a slash starts with one; at most 15 levels; no `aws`/`ssm` prefix (any case).
 * Returns the name as stored.
 */
export function validateParameterName(raw: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > MAX_NAME_LENGTH) {
    throw validation(
      `1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length between 1 and ${MAX_NAME_LENGTH}`,
    );
  }
  if (name.includes('/') && !name.startsWith('/'))
    throw validation('Parameter name must be a fully qualified name.');
  const segments = (name.startsWith('/') ? name.slice(1) : name).split('/');
  if (/^(aws|ssm)/i.test(segments[0] ?? '')) {
    throw validation(
      segments.length > 1
        ? `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). ${NAME_RULES}`
        : 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).',
    );
  }
  if (segments.some((s) => !/^[a-zA-Z0-9_.-]+$/.test(s))) {
    throw validation(
      `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). ${NAME_RULES}`,
    );
  }
  if (segments.length > MAX_HIERARCHY_LEVELS) {
    throw new AwsError(
      'HierarchyLevelLimitExceededException',
      `A hierarchy can have a maximum of ${MAX_HIERARCHY_LEVELS} levels.`,
    );
  }
  return name;
}

/**
 * Labels: letters, numbers, `.`, `-`, `_`; not starting with a number or with `aws`/`ssm` (any case).
 */
export function isValidLabel(label: string): boolean {
  return /^[a-zA-Z0-9_.-]+$/.test(label) && !/^\d/.test(label) && !/^(aws|ssm)/i.test(label);
}

/** `name:selector` → its parts; undefined when malformed (more than one `:`, or an empty part). */
export function splitSelector(reference: string): { name: string; selector?: string } | undefined {
  const parts = reference.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) return undefined;
  return parts.length === 2 ? { name: parts[0]!, selector: parts[1]! } : { name: parts[0]! };
}

const ARN_PREFIX = /^arn:aws[a-z-]*:ssm:[^:]*:[^:]*:parameter\//;

/** `arn:aws:ssm:<region>:<account>:parameter/<name>`, the name's leading slash dropped. */
export function parameterArn(region: string, accountId: string, name: string): string {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:ssm:${region}:${accountId}:parameter/${name.replace(/^\//, '')}`;
}

/** Plain code-unit order, the order pagination tokens rely on. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What a SecureString reads as without decryption. AWS returns the KMS ciphertext blob in base64;
 * this is a deterministic stand-in of the same look (KMS's blob header, then bytes that depend on
 * key, name, version and value) that never contains the plaintext. Obfuscation, not encryption.
 */
export function opaqueCiphertext(parameter: ParameterVersion): string {
  const seed = createHash('sha256')
    .update(`${parameter.keyId ?? DEFAULT_KEY_ID}\0${parameter.name}\0${parameter.version}`)
    .digest();
  const plain = Buffer.from(parameter.value, 'utf8');
  const masked = Buffer.alloc(plain.length);
  for (let i = 0; i < plain.length; i += 32) {
    const block = createHash('sha256').update(seed).update(String(i)).digest();
    for (let j = 0; j < 32 && i + j < plain.length; j++) masked[i + j] = plain[i + j]! ^ block[j]!;
  }
  const tag = createHash('sha256').update(seed).update(plain).digest().subarray(0, 16);
  return Buffer.concat([Buffer.from([1, 2, 2, 0, 0x78]), seed.subarray(0, 27), masked, tag]).toString(
    'base64',
  );
}

export function parameterNotFound(name: string): AwsError {
  return new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
}

function parameterVersionNotFound(version: string, name: string): AwsError {
  return new AwsError(
    'ParameterVersionNotFound',
    `Systems Manager could not find version ${version} of ${name}. Verify the version and try again.`,
  );
}

function parameterAlreadyExists(): AwsError {
  return new AwsError(
    'ParameterAlreadyExists',
    'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
  );
}

function parameterLimitExceeded(): AwsError {
  return new AwsError(
    'ParameterLimitExceeded',
    'You have exceeded the number of parameters for this AWS account. Delete one or more parameters and try again.',
  );
}

function tagsWithOverwrite(): AwsError {
  return validation(
    "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. " +
      'To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.',
  );
}

function downgradeRefused(): AwsError {
  return validation(
    "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier " +
      'to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.',
  );
}

function standardTooLarge(): AwsError {
  return validation(
    `Standard tier parameters support a maximum parameter value of ${STANDARD_VALUE_LIMIT} characters. ` +
      'To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.',
  );
}

function advancedTooLarge(): AwsError {
  return validation(
    `Advanced tier parameters support a maximum parameter value of ${ADVANCED_VALUE_LIMIT} characters.`,
  );
}

function labelLengthError(label: string): AwsError {
  return validation(
    `1 validation error detected: Value '[${label}]' at 'labels' failed to satisfy constraint: ` +
      `Member must satisfy constraint: [Member must have length less than or equal to ${MAX_LABEL_LENGTH}, Member must have length greater than or equal to 1]`,
  );
}
