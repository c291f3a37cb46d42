import { LOCAL_ACCOUNT_ID, LOCAL_PSEUDO_PARAMETERS, LOCAL_REGION } from '../local-account';
import { FunctionConfigError, type ValueResolver } from '../sandbox/function-config';
import { isObject, type Template } from '../template/template';

/**
 * What each template resource is called in the local cloud — the value `Ref` and `Fn::GetAtt` give —
 * so a function's `TABLE_NAME: !Ref Table` reaches the same table the local DynamoDB holds. Names
 * the template sets are kept; others are the logical id, as readable as a stack-prefixed name.
 */
export interface PhysicalResource {
  type: string;
  /** What `Ref` returns for this type. */
  ref: string;
  /** `Fn::GetAtt` attributes this type offers locally. */
  attributes: Record<string, string>;
}

/** Where resources live: what their ARNs and domain names are built from. */
export interface Placement {
  region: string;
  accountId: string;
  partition: string;
  urlSuffix: string;
}

export const LOCAL_PLACEMENT: Placement = {
  region: LOCAL_REGION,
  accountId: LOCAL_ACCOUNT_ID,
  partition: 'aws',
  urlSuffix: 'amazonaws.com',
};

/** `arn:<partition>:<service>:<region>:<account>:<resource>` */
const arnIn = (at: Placement, service: string, resource: string) =>
  `arn:${at.partition}:${service}:${at.region}:${at.accountId}:${resource}`;

function literal(props: Record<string, unknown>, key: string): string | undefined {
  const v = props[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Ref and the Fn::GetAtt attributes that follow from a resource's physical id alone, as
 * CloudFormation defines them. The same for the local cloud and a deployed stack; attributes that
 * need the live resource (a table's stream label, a parameter's value) are not here.
 */
export function resourceFromPhysicalId(
  type: string,
  physicalId: string,
  at: Placement,
): PhysicalResource | undefined {
  const arn = (service: string, resource: string) => arnIn(at, service, resource);
  switch (type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::Serverless::SimpleTable':
      return { type, ref: physicalId, attributes: { Arn: arn('dynamodb', `table/${physicalId}`) } };
    case 'AWS::S3::Bucket':
      return {
        type,
        ref: physicalId,
        attributes: {
          Arn: `arn:${at.partition}:s3:::${physicalId}`,
          DomainName: `${physicalId}.s3.${at.urlSuffix}`,
          RegionalDomainName: `${physicalId}.s3.${at.region}.${at.urlSuffix}`,
        },
      };
    case 'AWS::SSM::Parameter':
      return { type, ref: physicalId, attributes: {} };
    case 'AWS::SecretsManager::Secret':
      // Ref and Id are both the secret's ARN.
      return { type, ref: physicalId, attributes: { Id: physicalId } };
    case 'AWS::SQS::Queue': {
      // The physical id is the queue URL; its last segment is the name.
      const name = physicalId.slice(physicalId.lastIndexOf('/') + 1);
      return {
        type,
        ref: physicalId,
        attributes: { Arn: arn('sqs', name), QueueName: name, QueueUrl: physicalId },
      };
    }
    case 'AWS::Serverless::Function':
    case 'AWS::Lambda::Function':
      return { type, ref: physicalId, attributes: { Arn: arn('lambda', `function:${physicalId}`) } };
    case 'AWS::Serverless::LayerVersion':
    case 'AWS::Lambda::LayerVersion':
      return { type, ref: physicalId, attributes: {} };
    case 'AWS::Serverless::HttpApi':
    case 'AWS::ApiGatewayV2::Api':
      return {
        type,
        ref: physicalId,
        attributes: { ApiEndpoint: `https://${physicalId}.execute-api.${at.region}.${at.urlSuffix}` },
      };
    case 'AWS::Serverless::Api':
    case 'AWS::ApiGateway::RestApi':
      return { type, ref: physicalId, attributes: {} };
    case 'AWS::SecretsManager::RotationSchedule':
      return { type, ref: physicalId, attributes: {} };
    case 'AWS::KMS::Key':
      return {
        type,
        ref: physicalId,
        attributes: { Arn: arn('kms', `key/${physicalId}`), KeyId: physicalId },
      };
    case 'AWS::IAM::Role':
      return {
        type,
        ref: physicalId,
        attributes: { Arn: `arn:${at.partition}:iam::${at.accountId}:role/${physicalId}` },
      };
    default:
      return undefined;
  }
}

/**
 * What the local cloud calls each resource: the name the template sets (resolved, as
 * `!Sub ${AWS::StackName}-rotation` is), else the logical id.
 */
function describe(
  id: string,
  type: string,
  props: Record<string, unknown>,
  endpoints: LocalEndpoints,
  resolveName: (value: unknown, where: string) => string,
): PhysicalResource | undefined {
  const named = (key: string, fallback = id) =>
    props[key] === undefined ? fallback : resolveName(props[key], `Resources.${id}.Properties.${key}`);
  const local = (physicalId: string, extra: Record<string, string> = {}) => {
    const resource = resourceFromPhysicalId(type, physicalId, LOCAL_PLACEMENT);
    return resource && { ...resource, attributes: { ...resource.attributes, ...extra } };
  };
  const arn = (service: string, resource: string) => arnIn(LOCAL_PLACEMENT, service, resource);
  switch (type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::Serverless::SimpleTable': {
      const name = named('TableName');
      return local(name, { StreamArn: arn('dynamodb', `table/${name}/stream/local`) });
    }
    case 'AWS::S3::Bucket':
      return local(named('BucketName', id.toLowerCase()));
    case 'AWS::SSM::Parameter':
      return local(named('Name'), {
        Type: literal(props, 'Type') ?? 'String',
        Value: literal(props, 'Value') ?? '',
      });
    case 'AWS::SecretsManager::Secret': {
      // `Ref` is the ARN, whose random suffix Secrets Manager picks when seeding creates the secret.
      const name = named('Name');
      return local(arn('secretsmanager', `secret:${name}`));
    }
    case 'AWS::SQS::Queue':
      return local(`${endpoints.sqs ?? 'http://127.0.0.1'}/${LOCAL_ACCOUNT_ID}/${named('QueueName')}`);
    case 'AWS::Serverless::Function':
    case 'AWS::Lambda::Function':
      return local(named('FunctionName'));
    case 'AWS::Serverless::LayerVersion':
    case 'AWS::Lambda::LayerVersion':
      return local(arn('lambda', `layer:${named('LayerName')}:1`));
    case 'AWS::Serverless::HttpApi':
    case 'AWS::Serverless::Api':
      return {
        type,
        ref: id.toLowerCase(),
        attributes: { ApiEndpoint: endpoints.http ?? 'http://127.0.0.1:3000', RootResourceId: 'root' },
      };
    case 'AWS::SecretsManager::RotationSchedule':
      // CloudFormation's physical id for a schedule is the secret's ARN: seeding sets it, once known.
      return local(id);
    case 'AWS::KMS::Key':
      return local('local-key');
    case 'AWS::IAM::Role':
      return local(named('RoleName'), { RoleId: `AROALOCAL${id.toUpperCase()}` });
    default:
      return undefined;
  }
}

export interface LocalEndpoints {
  sqs?: string;
  http?: string;
}

export function physicalResources(
  template: Template,
  endpoints: LocalEndpoints = {},
  parameterOverrides: Record<string, string> = {},
): Map<string, PhysicalResource> {
  // Names are built from parameters and pseudo parameters, never from other resources' names.
  const resolveName = cloudResolver(template, new Map(), parameterOverrides);
  const out = new Map<string, PhysicalResource>();
  for (const [id, r] of Object.entries(template.Resources)) {
    const described = describe(
      id,
      r.Type,
      isObject(r.Properties) ? r.Properties : {},
      endpoints,
      resolveName,
    );
    if (described) out.set(id, described);
  }
  return out;
}

/**
 * The template as CloudFormation would create it with these parameters: resources whose `Condition`
 * is false are left out, as a stack leaves them out.
 */
export function activeTemplate(
  template: Template,
  parameterOverrides: Record<string, string> = {},
): Template {
  const resolve = cloudResolver(template, new Map(), parameterOverrides);
  const holds = (name: string, id: string) =>
    resolve({ 'Fn::If': [name, 'yes', 'no'] }, `Resources.${id}.Condition`) === 'yes';
  const resources = Object.fromEntries(
    Object.entries(template.Resources).filter(
      ([id, r]) => r.Condition === undefined || holds(r.Condition, id),
    ),
  );
  return { ...template, Resources: resources };
}

/** What pseudo parameters resolve to, and how errors name where resources come from. */
export interface ResolverPlace {
  pseudo: Readonly<Record<string, string>>;
  origin: string;
}

const LOCAL_RESOLVER_PLACE: ResolverPlace = { pseudo: LOCAL_PSEUDO_PARAMETERS, origin: 'the local cloud' };

/**
 * Resolves template values for the local cloud (or a deployed stack, with its pseudo parameters): literals, parameters (their defaults or overrides),
 * pseudo parameters, and Ref / GetAtt / Sub / Join / Select / If over the local resources.
 */
export function cloudResolver(
  template: Template,
  resources: Map<string, PhysicalResource>,
  parameterOverrides: Record<string, string> = {},
  where: ResolverPlace = LOCAL_RESOLVER_PLACE,
): ValueResolver {
  const { pseudo, origin } = where;
  const ref = (name: string, where: string): string => {
    if (name in pseudo) return pseudo[name]!;
    if (name in parameterOverrides) return parameterOverrides[name]!;
    const param = template.Parameters?.[name];
    if (param) return resolve(param.Default ?? '', `${where} (parameter ${name} has no default)`);
    const resource = resources.get(name);
    if (resource) return resource.ref;
    throw new FunctionConfigError(`${where}: Ref to ${name}, which ${origin} does not have`);
  };
  const getAtt = (id: string, attr: string, where: string): string => {
    const value = resources.get(id)?.attributes[attr];
    if (value === undefined)
      throw new FunctionConfigError(`${where}: Fn::GetAtt ${id}.${attr} has no value in ${origin}`);
    return value;
  };
  const resolve: ValueResolver = (value, where) => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      return String(value);
    if (!isObject(value))
      throw new FunctionConfigError(
        `${where}: ${JSON.stringify(value)} is not a value the local cloud can resolve`,
      );
    if (typeof value.Ref === 'string') return ref(value.Ref, where);
    const getAttArgs = value['Fn::GetAtt'];
    if (Array.isArray(getAttArgs)) return getAtt(String(getAttArgs[0]), String(getAttArgs[1]), where);
    const sub = value['Fn::Sub'];
    if (sub !== undefined) {
      const [text, vars] = Array.isArray(sub) ? (sub as [unknown, unknown]) : [sub, {}];
      const local = isObject(vars) ? vars : {};
      return String(text).replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
        if (name.startsWith('!')) return `\${${name.slice(1)}}`;
        if (name in local) return resolve(local[name], where);
        const dot = name.indexOf('.');
        return dot > 0 && !(name in pseudo)
          ? getAtt(name.slice(0, dot), name.slice(dot + 1), where)
          : ref(name, where);
      });
    }
    const join = value['Fn::Join'];
    if (Array.isArray(join))
      return (join[1] as unknown[]).map((v) => resolve(v, where)).join(String(join[0]));
    const select = value['Fn::Select'];
    if (Array.isArray(select))
      return resolve((select[1] as unknown[])[Number(resolve(select[0], where))], where);
    const ifArgs = value['Fn::If'];
    if (Array.isArray(ifArgs) && ifArgs.length === 3) {
      const chosen = condition(String(ifArgs[0]), where) ? ifArgs[1] : ifArgs[2];
      // AWS::NoValue removes the property; as a value, the nearest local meaning is "empty".
      return isObject(chosen) && chosen.Ref === 'AWS::NoValue' ? '' : resolve(chosen, where);
    }
    throw new FunctionConfigError(`${where}: ${Object.keys(value)[0]} is not supported by the local cloud`);
  };
  /** Template conditions, evaluated against the same parameters (Equals / Not / And / Or / Condition). */
  const evaluate = (expr: unknown, where: string): boolean => {
    if (!isObject(expr))
      throw new FunctionConfigError(`${where}: ${JSON.stringify(expr)} is not a condition`);
    if (typeof expr.Condition === 'string') return condition(expr.Condition, where);
    const [fn, args] = Object.entries(expr)[0] ?? [];
    const list = Array.isArray(args) ? (args as unknown[]) : [];
    switch (fn) {
      case 'Fn::Equals':
        return resolve(list[0], where) === resolve(list[1], where);
      case 'Fn::Not':
        return !evaluate(list[0], where);
      case 'Fn::And':
        return list.every((c) => evaluate(c, where));
      case 'Fn::Or':
        return list.some((c) => evaluate(c, where));
      default:
        throw new FunctionConfigError(
          `${where}: condition function ${fn} is not supported by the local cloud`,
        );
    }
  };
  const condition = (name: string, where: string): boolean => {
    const expr = template.Conditions?.[name];
    if (expr === undefined)
      throw new FunctionConfigError(`${where}: Fn::If names condition ${name}, which is not defined`);
    return evaluate(expr, `${where} (condition ${name})`);
  };
  return resolve;
}
