import { randomUUID } from 'node:crypto';
import { AwsError, field, validation, type AwsJsonService, type RequestContext } from '../aws-json-protocol';
import { generatePassword } from './password-generator';
import {
  AWSCURRENT,
  AWSPENDING,
  DAY_MS,
  type RotationRules,
  type Secret,
  type SecretStore,
  type SecretValue,
  type SecretVersion,
  type Tag,
} from './secret-store';

/**
 * Secrets Manager (`secretsmanager`, AWS JSON 1.1) over a SecretStore, for the real SDK's
 * SecretsManagerClient pointed at the local endpoint. Operations: CreateSecret, GetSecretValue,
 * BatchGetSecretValue, PutSecretValue, UpdateSecret, DescribeSecret, ListSecrets,
 * ListSecretVersionIds, UpdateSecretVersionStage, GetRandomPassword, RotateSecret,
 * CancelRotateSecret, DeleteSecret, RestoreSecret, TagResource, UntagResource.
 *
 * Local differences, on purpose: no replication (AddReplicaRegions is refused), no KMS (KmsKeyId is
 * recorded, not used), no resource policies, no scheduled rotations (RotateSecret rotates only when
 * called, through `options.rotate`), and RotateSecret waits for the rotation it starts.
 */

export interface SecretsManagerServiceOptions {
  /**
   * Runs a rotation RotateSecret starts: the local cloud invokes the secret's rotation function for
   * createSecret, setSecret, testSecret and finishSecret with this ClientRequestToken. When it is
   * called, version `token` exists, staged AWSPENDING and without a value. Without it, RotateSecret
   * refuses to rotate (it still records a schedule with RotateImmediately=false).
   */
  rotate?: (secret: Secret, token: string) => Promise<void>;
}

const err = (code: string, message: string) => new AwsError(code, message);
const secretNotFound = () =>
  err('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const markedForDeletion = () =>
  err(
    'InvalidRequestException',
    "You can't perform this operation on the secret because it was marked for deletion.",
  );
const tokenRequired = () =>
  err(
    'InvalidRequestException',
    'You must provide a ClientRequestToken value. We recommend a UUID-type value.',
  );

/** Dates travel as epoch seconds with a fraction. */
const epoch = (ms: number) => ms / 1000;
const utcDay = (ms: number) => ms - (ms % DAY_MS);

const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]+$/;
const FILTER_KEYS = [
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
];
const FILTER_VALUE_PATTERN = /^!?[a-zA-Z0-9 :_@/+=.\-!]*$/;
const SORT_BY = ['created-date', 'last-accessed-date', 'last-changed-date', 'name'];
const MAX_SECRET_SIZE = 65_536;

interface Filter {
  Key: string;
  Values: string[];
}

// ---------------------------------------------------------------------------------------------
// Input checks beyond the shared `field` helpers.

function enumValue(value: string | undefined, path: string, allowed: string[]): string | undefined {
  if (value !== undefined && !allowed.includes(value)) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${path}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  }
  return value;
}

function integer(
  input: Record<string, unknown>,
  name: string,
  path: string,
  min: number,
  max: number,
): number | undefined {
  const v = field.number(input, name);
  if (v === undefined) return undefined;
  if (!Number.isInteger(v)) throw err('SerializationException', `${name} must be an integer`);
  if (v < min || v > max) {
    throw validation(
      `1 validation error detected: Value '${v}' at '${path}' failed to satisfy constraint: Member must have value ${v < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}`,
    );
  }
  return v;
}

function object(input: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw err('SerializationException', `${name} must be a structure`);
  return v as Record<string, unknown>;
}

function list(input: Record<string, unknown>, name: string): Record<string, unknown>[] | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x)))
    throw err('SerializationException', `${name} must be a list of structures`);
  return v as Record<string, unknown>[];
}

const secretIdOf = (input: Record<string, unknown>) =>
  field.string(input, 'SecretId', { required: true, min: 1, max: 2048 })!;

const versionIdOf = (input: Record<string, unknown>, name: string) =>
  field.string(input, name, { min: 32, max: 64 });

function stageOf(input: Record<string, unknown>, name: string, required = false): string | undefined {
  return field.string(input, name, { required, min: 1, max: 256 });
}

/** SecretString or SecretBinary (base64 in JSON); never both. */
function valueOf(input: Record<string, unknown>): SecretValue | undefined {
  const text = field.string(input, 'SecretString', { max: MAX_SECRET_SIZE });
  const binary = field.string(input, 'SecretBinary');
  if (text !== undefined && binary !== undefined) {
    throw err(
      'InvalidParameterException',
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (binary !== undefined) {
    if (binary.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(binary))
      throw err('SerializationException', 'SecretBinary must be base64-encoded');
    if (Buffer.from(binary, 'base64').length > MAX_SECRET_SIZE) {
      throw validation(
        `1 validation error detected: Value at 'secretBinary' failed to satisfy constraint: Member must have length less than or equal to ${MAX_SECRET_SIZE}`,
      );
    }
    return { SecretBinary: binary };
  }
  return text !== undefined ? { SecretString: text } : undefined;
}

function sameValue(a: SecretValue, b: SecretValue): boolean {
  if ('SecretString' in a) return 'SecretString' in b && a.SecretString === b.SecretString;
  return 'SecretBinary' in b && a.SecretBinary === b.SecretBinary;
}

function tagsOf(input: Record<string, unknown>, name: string, required = false): Tag[] | undefined {
  const raw = list(input, name);
  if (!raw) {
    if (required) field.stringList(input, name, { required: true });
    return undefined;
  }
  if (raw.length > 50) {
    throw validation(
      `1 validation error detected: Value at '${name.toLowerCase()}' failed to satisfy constraint: Member must have length less than or equal to 50`,
    );
  }
  return raw.map((tag) => ({
    Key: field.string(tag, 'Key', { required: true, min: 1, max: 128 })!,
    Value: field.string(tag, 'Value', { required: true, max: 256 })!,
  }));
}

function filtersOf(input: Record<string, unknown>): Filter[] | undefined {
  const raw = list(input, 'Filters');
  if (!raw) return undefined;
  if (raw.length > 10) {
    throw validation(
      "1 validation error detected: Value at 'filters' failed to satisfy constraint: Member must have length less than or equal to 10",
    );
  }
  return raw.map((filter, i) => {
    const key = enumValue(field.string(filter, 'Key'), `filters.${i + 1}.member.key`, FILTER_KEYS);
    const values = field.stringList(filter, 'Values', { min: 1, max: 10 }) ?? [];
    for (const value of values) {
      if (value.length > 512 || !FILTER_VALUE_PATTERN.test(value)) {
        throw validation(
          `1 validation error detected: Value '${value}' at 'filters.${i + 1}.member.values' failed to satisfy constraint: Member must satisfy regular expression pattern: ${FILTER_VALUE_PATTERN.source}`,
        );
      }
    }
    if (key === undefined) throw err('InvalidParameterException', 'Each filter must have a Key.');
    return { Key: key, Values: values };
  });
}

function rotationRulesOf(input: Record<string, unknown>): RotationRules | undefined {
  const raw = object(input, 'RotationRules');
  if (!raw) return undefined;
  const days = integer(raw, 'AutomaticallyAfterDays', 'rotationRules.automaticallyAfterDays', 1, 1000);
  const duration = field.string(raw, 'Duration', { min: 2, max: 3, pattern: /^[0-9h]+$/ });
  const schedule = field.string(raw, 'ScheduleExpression', { min: 1, max: 256 });
  if (days !== undefined && schedule !== undefined) {
    throw err(
      'InvalidParameterException',
      "You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules.",
    );
  }
  if (schedule !== undefined && !/^(rate\(\d+ (hour|hours|day|days)\)|cron\(.+\))$/.test(schedule)) {
    throw err(
      'InvalidParameterException',
      `The schedule expression ${schedule} isn't valid: use rate(<number> hours|days) or cron(...).`,
    );
  }
  if (duration !== undefined) {
    const hours = /^(\d+)h$/.exec(duration);
    if (!hours || Number(hours[1]) < 1 || Number(hours[1]) > 24)
      throw err(
        'InvalidParameterException',
        `The rotation window duration ${duration} isn't valid: use 1h to 24h.`,
      );
  }
  return {
    ...(days !== undefined ? { AutomaticallyAfterDays: days } : {}),
    ...(duration !== undefined ? { Duration: duration } : {}),
    ...(schedule !== undefined ? { ScheduleExpression: schedule } : {}),
  };
}

/** When the next rotation is due after `from`; undefined for cron schedules (not computed locally). */
function nextRotation(rules: RotationRules | undefined, from: number): number | undefined {
  if (rules?.AutomaticallyAfterDays !== undefined) return from + rules.AutomaticallyAfterDays * DAY_MS;
  const rate = rules?.ScheduleExpression && /^rate\((\d+) (hour|day)s?\)$/.exec(rules.ScheduleExpression);
  if (rate) return from + Number(rate[1]) * (rate[2] === 'hour' ? 3_600_000 : DAY_MS);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Pagination: the token is the offset into the sorted, filtered list.

function pageOf<T>(items: T[], max: number, token: string | undefined): { page: T[]; next?: string } {
  let offset = 0;
  if (token !== undefined) {
    const match = /^page:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!match || Number(match[1]) > items.length)
      throw err('InvalidNextTokenException', 'The NextToken value is invalid.');
    offset = Number(match[1]);
  }
  const page = items.slice(offset, offset + max);
  const end = offset + page.length;
  return end < items.length ? { page, next: Buffer.from(`page:${end}`).toString('base64url') } : { page };
}

// ---------------------------------------------------------------------------------------------
// ListSecrets / BatchGetSecretValue filters, as the Filter reference describes them.

/** Words as Secrets Manager's search splits them: at case changes, letter/digit changes, punctuation. */
function words(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Za-z])([0-9])/g, '$1 $2')
    .replace(/([0-9])([A-Za-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

function matchesValue(secret: Secret, key: string, value: string): boolean {
  switch (key) {
    case 'name':
      return secret.name.startsWith(value);
    case 'description': {
      const description = secret.description ?? '';
      if (description.toLowerCase().startsWith(value.toLowerCase())) return true;
      const wanted = words(value);
      const have = words(description);
      return wanted.length > 0 && wanted.every((w) => have.some((h) => h.startsWith(w)));
    }
    case 'tag-key':
      return secret.tags.some((t) => t.Key.startsWith(value));
    case 'tag-value':
      return secret.tags.some((t) => t.Value.startsWith(value));
    case 'all': {
      const have = [
        secret.name,
        secret.description ?? '',
        ...secret.tags.flatMap((t) => [t.Key, t.Value]),
      ].flatMap(words);
      return words(value).some((w) => have.some((h) => h.startsWith(w)));
    }
    default:
      // primary-region, owning-service: local secrets are neither replicated nor service-owned.
      return false;
  }
}

function matchesFilters(secret: Secret, filters: Filter[] | undefined): boolean {
  return (filters ?? []).every(({ Key, Values }) => {
    const positive = Values.filter((v) => !v.startsWith('!'));
    const negative = Values.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
    return (
      (positive.length === 0 || positive.some((v) => matchesValue(secret, Key, v))) &&
      negative.every((v) => !matchesValue(secret, Key, v))
    );
  });
}

// ---------------------------------------------------------------------------------------------

/** The labelled versions, as DescribeSecret's VersionIdsToStages and ListSecrets' SecretVersionsToStages. */
function versionsToStages(secret: Secret): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const version of secret.versions.values()) {
    if (version.stages.length > 0) out[version.versionId] = [...version.stages];
  }
  return out;
}

/** The metadata DescribeSecret and ListSecrets share; absent fields are left out, as AWS does. */
function metadata(secret: Secret): Record<string, unknown> {
  return {
    ARN: secret.arn,
    Name: secret.name,
    ...(secret.description !== undefined ? { Description: secret.description } : {}),
    ...(secret.kmsKeyId !== undefined ? { KmsKeyId: secret.kmsKeyId } : {}),
    ...(secret.rotationEnabled !== undefined ? { RotationEnabled: secret.rotationEnabled } : {}),
    ...(secret.rotationLambdaArn !== undefined ? { RotationLambdaARN: secret.rotationLambdaArn } : {}),
    ...(secret.rotationRules !== undefined ? { RotationRules: { ...secret.rotationRules } } : {}),
    ...(secret.lastRotatedDate !== undefined ? { LastRotatedDate: epoch(secret.lastRotatedDate) } : {}),
    LastChangedDate: epoch(secret.lastChangedDate),
    ...(secret.lastAccessedDate !== undefined ? { LastAccessedDate: epoch(secret.lastAccessedDate) } : {}),
    ...(secret.deletedDate !== undefined ? { DeletedDate: epoch(secret.deletedDate) } : {}),
    ...(secret.rotationEnabled && secret.nextRotationDate !== undefined
      ? { NextRotationDate: epoch(secret.nextRotationDate) }
      : {}),
    ...(secret.tags.length > 0 ? { Tags: secret.tags.map((t) => ({ ...t })) } : {}),
    CreatedDate: epoch(secret.createdDate),
  };
}

export function secretsManagerService(
  store: SecretStore,
  options: SecretsManagerServiceOptions = {},
): AwsJsonService {
  const resolve = (ctx: RequestContext, secretId: string): Secret => {
    const secret = store.find(ctx.region, secretId);
    if (!secret) throw secretNotFound();
    return secret;
  };
  const live = (secret: Secret): Secret => {
    if (secret.deletedDate !== undefined) throw markedForDeletion();
    return secret;
  };
  const touch = (secret: Secret) => {
    secret.lastChangedDate = store.now();
  };

  /** GetSecretValue's lookup, also each entry of BatchGetSecretValue. */
  const readValue = (secret: Secret, versionId?: string, stage?: string): Record<string, unknown> => {
    live(secret);
    let version: SecretVersion | undefined;
    if (versionId !== undefined) {
      version = secret.versions.get(versionId);
      const missing = () =>
        err(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
        );
      if (!version) throw missing();
      if (stage !== undefined && !version.stages.includes(stage)) {
        throw err(
          'InvalidRequestException',
          'You provided a VersionStage that is not associated to the provided VersionId.',
        );
      }
      if (!version.value) throw missing();
    } else {
      const label = stage ?? AWSCURRENT;
      version = store.versionWithStage(secret, label);
      if (!version?.value) {
        throw err(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for staging label: ${label}`,
        );
      }
    }
    const today = utcDay(store.now());
    secret.lastAccessedDate = today;
    version.lastAccessedDate = today;
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...version.value,
      VersionStages: [...version.stages],
      CreatedDate: epoch(version.createdDate),
    };
  };

  /**
   * PutSecretValue's and UpdateSecret's new version: the same token and value again is a no-op, the
   * same token with another value is refused; the first version of a secret always gets AWSCURRENT.
   */
  const putVersion = (secret: Secret, token: string, value: SecretValue, stages: string[]): SecretVersion => {
    const existing = secret.versions.get(token);
    if (existing?.value) {
      if (sameValue(existing.value, value)) return existing;
      throw err(
        'ResourceExistsException',
        `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${secret.arn}.`,
      );
    }
    const labels = [...new Set(stages)];
    if (!store.versionWithStage(secret, AWSCURRENT) && !labels.includes(AWSCURRENT)) labels.push(AWSCURRENT);
    const version = store.writeVersion(secret, token, value, labels);
    touch(secret);
    return version;
  };

  const pendingRotation = (secret: Secret): SecretVersion | undefined => {
    const pending = store.versionWithStage(secret, AWSPENDING);
    return pending && !pending.stages.includes(AWSCURRENT) ? pending : undefined;
  };

  const operations: AwsJsonService['operations'] = {
    CreateSecret(input, ctx) {
      const name = field.string(input, 'Name', { required: true, min: 1, max: 512 })!;
      if (!NAME_PATTERN.test(name)) {
        throw validation(
          'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
        );
      }
      const token = versionIdOf(input, 'ClientRequestToken');
      const description = field.string(input, 'Description', { max: 2048 });
      const kmsKeyId = field.string(input, 'KmsKeyId', { max: 2048 });
      const tags = tagsOf(input, 'Tags');
      const value = valueOf(input);
      const replicas = input.AddReplicaRegions;
      if (Array.isArray(replicas) && replicas.length > 0) {
        throw validation(
          "AddReplicaRegions isn't supported by the local Secrets Manager: secrets aren't replicated to other regions locally. Create the secret without AddReplicaRegions.",
        );
      }
      if (value && token === undefined) throw tokenRequired();
      const existing = store.find(ctx.region, name);
      if (existing) {
        if (existing.deletedDate !== undefined) {
          throw err(
            'InvalidRequestException',
            "You can't create this secret because a secret with this name is already scheduled for deletion.",
          );
        }
        const version = token !== undefined ? existing.versions.get(token) : undefined;
        if (version?.value && value) {
          // A retry of the CreateSecret that made this secret: idempotent.
          if (sameValue(version.value, value))
            return { ARN: existing.arn, Name: existing.name, VersionId: version.versionId };
          throw err(
            'ResourceExistsException',
            `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${existing.arn}.`,
          );
        }
        throw err(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      const secret = store.create(ctx.region, {
        name,
        ...(description !== undefined ? { description } : {}),
        ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
        ...(tags ? { tags } : {}),
      });
      if (value && token !== undefined) store.writeVersion(secret, token, value, [AWSCURRENT]);
      return { ARN: secret.arn, Name: secret.name, ...(value ? { VersionId: token } : {}) };
    },

    GetSecretValue(input, ctx) {
      const secretId = secretIdOf(input);
      const versionId = versionIdOf(input, 'VersionId');
      const stage = stageOf(input, 'VersionStage');
      return readValue(resolve(ctx, secretId), versionId, stage);
    },

    BatchGetSecretValue(input, ctx) {
      const ids = field.stringList(input, 'SecretIdList', { min: 1, max: 20 });
      const filters = filtersOf(input);
      const max = integer(input, 'MaxResults', 'maxResults', 1, 20);
      const nextToken = field.string(input, 'NextToken', { min: 1, max: 4096 });
      if ((ids === undefined) === (filters === undefined)) {
        throw err(
          'InvalidParameterException',
          "Either 'SecretIdList' or 'Filters' must be provided, but not both.",
        );
      }
      if (max !== undefined && filters === undefined) {
        throw err(
          'InvalidParameterException',
          "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.",
        );
      }
      const values: Record<string, unknown>[] = [];
      const errors: Record<string, unknown>[] = [];
      const read = (secretId: string, secret: () => Secret) => {
        try {
          values.push(readValue(secret()));
        } catch (e) {
          if (!(e instanceof AwsError)) throw e;
          errors.push({ SecretId: secretId, ErrorCode: e.code, Message: e.message });
        }
      };
      if (ids) {
        for (const id of ids) read(id, () => resolve(ctx, id));
        return { SecretValues: values, Errors: errors };
      }
      const matching = store
        .list(ctx.region)
        .filter((s) => s.deletedDate === undefined && matchesFilters(s, filters))
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, next } = pageOf(matching, max ?? 20, nextToken);
      for (const secret of page) read(secret.name, () => secret);
      return { SecretValues: values, Errors: errors, ...(next ? { NextToken: next } : {}) };
    },

    PutSecretValue(input, ctx) {
      const secretId = secretIdOf(input);
      const token = versionIdOf(input, 'ClientRequestToken');
      const value = valueOf(input);
      const stages = field.stringList(input, 'VersionStages', { min: 1, max: 20 });
      for (const stage of stages ?? []) stageOf({ VersionStages: stage }, 'VersionStages');
      field.string(input, 'RotationToken', { min: 1, max: 256 });
      const secret = live(resolve(ctx, secretId));
      if (!value)
        throw err('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
      if (token === undefined) throw tokenRequired();
      const version = putVersion(secret, token, value, stages ?? [AWSCURRENT]);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        VersionStages: [...version.stages],
      };
    },

    UpdateSecret(input, ctx) {
      const secretId = secretIdOf(input);
      const token = versionIdOf(input, 'ClientRequestToken');
      const description = field.string(input, 'Description', { max: 2048 });
      const kmsKeyId = field.string(input, 'KmsKeyId', { max: 2048 });
      const value = valueOf(input);
      const secret = live(resolve(ctx, secretId));
      let version: SecretVersion | undefined;
      if (value) {
        if (token === undefined) throw tokenRequired();
        version = putVersion(secret, token, value, [AWSCURRENT]);
      }
      if (description !== undefined) secret.description = description;
      if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
      touch(secret);
      return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.versionId } : {}) };
    },

    DescribeSecret(input, ctx) {
      const secret = resolve(ctx, secretIdOf(input));
      return { ...metadata(secret), VersionIdsToStages: versionsToStages(secret) };
    },

    ListSecrets(input, ctx) {
      const includeDeleted = field.boolean(input, 'IncludePlannedDeletion') ?? false;
      const max = integer(input, 'MaxResults', 'maxResults', 1, 100) ?? 100;
      const nextToken = field.string(input, 'NextToken', { min: 1, max: 4096 });
      const filters = filtersOf(input);
      const order = enumValue(field.string(input, 'SortOrder'), 'sortOrder', ['asc', 'desc']) ?? 'desc';
      const sortBy = enumValue(field.string(input, 'SortBy'), 'sortBy', SORT_BY) ?? 'created-date';
      const key = (s: Secret): number | string =>
        sortBy === 'name'
          ? s.name
          : sortBy === 'last-accessed-date'
            ? (s.lastAccessedDate ?? 0)
            : sortBy === 'last-changed-date'
              ? s.lastChangedDate
              : s.createdDate;
      const secrets = store
        .list(ctx.region)
        .filter((s) => (includeDeleted || s.deletedDate === undefined) && matchesFilters(s, filters))
        .sort((a, b) => {
          const [x, y] = [key(a), key(b)];
          const c = x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name);
          return order === 'asc' ? c : -c;
        });
      const { page, next } = pageOf(secrets, max, nextToken);
      return {
        SecretList: page.map((s) => ({ ...metadata(s), SecretVersionsToStages: versionsToStages(s) })),
        ...(next ? { NextToken: next } : {}),
      };
    },

    ListSecretVersionIds(input, ctx) {
      const secretId = secretIdOf(input);
      const max = integer(input, 'MaxResults', 'maxResults', 1, 100) ?? 100;
      const nextToken = field.string(input, 'NextToken', { min: 1, max: 4096 });
      const includeDeprecated = field.boolean(input, 'IncludeDeprecated') ?? false;
      const secret = live(resolve(ctx, secretId));
      const versions = [...secret.versions.values()]
        .filter((v) => includeDeprecated || v.stages.length > 0)
        .sort((a, b) => b.createdDate - a.createdDate);
      const { page, next } = pageOf(versions, max, nextToken);
      return {
        ARN: secret.arn,
        Name: secret.name,
        Versions: page.map((v) => ({
          VersionId: v.versionId,
          ...(v.stages.length > 0 ? { VersionStages: [...v.stages] } : {}),
          ...(v.lastAccessedDate !== undefined ? { LastAccessedDate: epoch(v.lastAccessedDate) } : {}),
          CreatedDate: epoch(v.createdDate),
        })),
        ...(next ? { NextToken: next } : {}),
      };
    },

    UpdateSecretVersionStage(input, ctx) {
      const secretId = secretIdOf(input);
      const stage = stageOf(input, 'VersionStage', true)!;
      const moveTo = versionIdOf(input, 'MoveToVersionId');
      const removeFrom = versionIdOf(input, 'RemoveFromVersionId');
      const secret = live(resolve(ctx, secretId));
      if (moveTo === undefined && removeFrom === undefined) {
        throw err(
          'InvalidParameterException',
          'Specify MoveToVersionId to attach the staging label, RemoveFromVersionId to remove it, or both to move it.',
        );
      }
      for (const id of [moveTo, removeFrom]) {
        if (id !== undefined && !secret.versions.has(id)) {
          throw err(
            'InvalidParameterException',
            `Secrets Manager can't find version ${id} of the specified secret.`,
          );
        }
      }
      const holder = store.versionWithStage(secret, stage)?.versionId;
      if (removeFrom !== undefined && holder !== removeFrom) {
        throw err(
          'InvalidParameterException',
          holder === undefined
            ? `Staging label ${stage} isn't attached to any version, so it can't be removed from version ${removeFrom}.`
            : `Staging label ${stage} is currently attached to version ${holder}, not to version ${removeFrom} that you specified in RemoveFromVersionId.`,
        );
      }
      if (moveTo !== undefined) {
        if (holder !== undefined && holder !== moveTo && removeFrom === undefined) {
          throw err(
            'InvalidParameterException',
            `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder}, so you must explicitly reference that version in RemoveFromVersionId.`,
          );
        }
        store.moveStage(secret, stage, moveTo);
      } else {
        if (stage === AWSCURRENT) {
          throw err(
            'InvalidParameterException',
            'You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.',
          );
        }
        store.removeStage(secret, stage, removeFrom!);
      }
      touch(secret);
      return { ARN: secret.arn, Name: secret.name };
    },

    GetRandomPassword(input) {
      const length = field.number(input, 'PasswordLength');
      const excludeCharacters = field.string(input, 'ExcludeCharacters');
      const flags = {
        ExcludeNumbers: field.boolean(input, 'ExcludeNumbers'),
        ExcludePunctuation: field.boolean(input, 'ExcludePunctuation'),
        ExcludeUppercase: field.boolean(input, 'ExcludeUppercase'),
        ExcludeLowercase: field.boolean(input, 'ExcludeLowercase'),
        IncludeSpace: field.boolean(input, 'IncludeSpace'),
        RequireEachIncludedType: field.boolean(input, 'RequireEachIncludedType'),
      };
      return {
        RandomPassword: generatePassword({
          PasswordLength: length,
          ExcludeCharacters: excludeCharacters,
          ...flags,
        }),
      };
    },

    async RotateSecret(input, ctx) {
      const secretId = secretIdOf(input);
      const requestToken = versionIdOf(input, 'ClientRequestToken');
      const lambdaArn = field.string(input, 'RotationLambdaARN', { max: 2048 });
      const rules = rotationRulesOf(input);
      const immediately = field.boolean(input, 'RotateImmediately') ?? true;
      const secret = live(resolve(ctx, secretId));
      const functionArn = lambdaArn ?? secret.rotationLambdaArn;
      if (functionArn === undefined) {
        throw err(
          'InvalidRequestException',
          'No Lambda rotation function ARN is associated with this secret.',
        );
      }
      if (pendingRotation(secret)) {
        throw err(
          'InvalidRequestException',
          "A previous rotation isn't complete. That rotation will be reattempted.",
        );
      }
      if (immediately && !options.rotate) {
        throw err(
          'InvalidRequestException',
          `No rotation function runs in this local Secrets Manager, so it can't rotate ${secret.name} now. Start it from the local cloud (which invokes ${functionArn}), or call RotateSecret with RotateImmediately=false to only record the rotation schedule.`,
        );
      }
      const token = requestToken ?? randomUUID();
      if (immediately && secret.versions.has(token)) {
        throw err(
          'ResourceExistsException',
          `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${secret.arn}.`,
        );
      }
      secret.rotationEnabled = true;
      secret.rotationLambdaArn = functionArn;
      if (rules) secret.rotationRules = rules;
      const scheduled = nextRotation(secret.rotationRules, secret.lastRotatedDate ?? store.now());
      if (scheduled === undefined) delete secret.nextRotationDate;
      else secret.nextRotationDate = scheduled;
      touch(secret);
      if (!immediately || !options.rotate) return { ARN: secret.arn, Name: secret.name };

      // As AWS does before invoking the function: version `token`, staged AWSPENDING, no value yet.
      store.writeVersion(secret, token, undefined, [AWSPENDING]);
      try {
        await options.rotate(secret, token);
        const now = store.now();
        secret.lastRotatedDate = now;
        const next = nextRotation(secret.rotationRules, now);
        if (next !== undefined) secret.nextRotationDate = next;
        delete secret.lastRotationError;
      } catch (e) {
        // AWS rotates asynchronously: the call has succeeded, the failure only shows in the
        // function's logs and in AWSPENDING left on the new version.
        const message = e instanceof Error ? e.message : String(e);
        secret.lastRotationError = { token, message, date: store.now() };
        console.error(`[secretsmanager] rotation of ${secret.name} (token ${token}) failed: ${message}`);
      }
      return { ARN: secret.arn, Name: secret.name, VersionId: token };
    },

    CancelRotateSecret(input, ctx) {
      const secret = live(resolve(ctx, secretIdOf(input)));
      const pending = pendingRotation(secret);
      if (secret.rotationEnabled !== undefined) secret.rotationEnabled = false;
      delete secret.nextRotationDate;
      touch(secret);
      return { ARN: secret.arn, Name: secret.name, ...(pending ? { VersionId: pending.versionId } : {}) };
    },

    DeleteSecret(input, ctx) {
      const secretId = secretIdOf(input);
      const window = field.number(input, 'RecoveryWindowInDays');
      const force = field.boolean(input, 'ForceDeleteWithoutRecovery') ?? false;
      if (window !== undefined && force) {
        throw err(
          'InvalidParameterException',
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      }
      if (window !== undefined && (!Number.isInteger(window) || window < 7 || window > 30)) {
        throw err(
          'InvalidParameterException',
          'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
        );
      }
      const secret = resolve(ctx, secretId);
      const now = store.now();
      if (force) {
        store.purge(secret);
        return { ARN: secret.arn, Name: secret.name, DeletionDate: epoch(now) };
      }
      if (secret.deletedDate !== undefined) {
        throw err(
          'InvalidRequestException',
          "You tried to perform the operation on a secret that's currently marked deleted.",
        );
      }
      secret.deletedDate = now;
      secret.deletionDate = now + (window ?? 30) * DAY_MS;
      touch(secret);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: epoch(secret.deletionDate) };
    },

    RestoreSecret(input, ctx) {
      const secret = resolve(ctx, secretIdOf(input));
      if (secret.deletedDate !== undefined) {
        delete secret.deletedDate;
        delete secret.deletionDate;
        touch(secret);
      }
      return { ARN: secret.arn, Name: secret.name };
    },

    TagResource(input, ctx) {
      const secretId = secretIdOf(input);
      const tags = tagsOf(input, 'Tags', true) ?? [];
      const secret = live(resolve(ctx, secretId));
      const byKey = new Map(secret.tags.map((t) => [t.Key, t]));
      for (const tag of tags) byKey.set(tag.Key, tag);
      if (byKey.size > 50) {
        throw err(
          'LimitExceededException',
          `A secret can have at most 50 tags; ${secret.name} would have ${byKey.size}.`,
        );
      }
      secret.tags = [...byKey.values()];
      touch(secret);
      return {};
    },

    UntagResource(input, ctx) {
      const secretId = secretIdOf(input);
      const keys = field.stringList(input, 'TagKeys', { required: true })!;
      const secret = live(resolve(ctx, secretId));
      secret.tags = secret.tags.filter((t) => !keys.includes(t.Key));
      touch(secret);
      return {};
    },
  };

  return { targetPrefix: 'secretsmanager', jsonVersion: '1.1', operations };
}
