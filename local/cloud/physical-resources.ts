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

const arn = (service: string, resource: string) =>
  `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${resource}`;

function literal(props: Record<string, unknown>, key: string): string | undefined {
  const v = props[key];
  return typeof v === 'string' ? v : undefined;
}

/** Ref / GetAtt values per resource type, as CloudFormation defines them. */
function describe(
  id: string,
  type: string,
  props: Record<string, unknown>,
  endpoints: LocalEndpoints,
): PhysicalResource | undefined {
  switch (type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::Serverless::SimpleTable': {
      const name = literal(props, 'TableName') ?? id;
      return {
        type,
        ref: name,
        attributes: {
          Arn: arn('dynamodb', `table/${name}`),
          StreamArn: arn('dynamodb', `table/${name}/stream/local`),
        },
      };
    }
    case 'AWS::S3::Bucket': {
      const name = literal(props, 'BucketName') ?? id.toLowerCase();
      return {
        type,
        ref: name,
        attributes: {
          Arn: `arn:aws:s3:::${name}`,
          DomainName: `${name}.s3.amazonaws.com`,
          RegionalDomainName: `${name}.s3.${LOCAL_REGION}.amazonaws.com`,
        },
      };
    }
    case 'AWS::SSM::Parameter': {
      const name = literal(props, 'Name') ?? id;
      return {
        type,
        ref: name,
        attributes: { Type: literal(props, 'Type') ?? 'String', Value: literal(props, 'Value') ?? '' },
      };
    }
    case 'AWS::SecretsManager::Secret': {
      const name = literal(props, 'Name') ?? id;
      // `Ref` is the ARN, whose random suffix Secrets Manager picks when seeding creates the secret.
      return { type, ref: arn('secretsmanager', `secret:${name}`), attributes: { Id: name } };
    }
    case 'AWS::SQS::Queue': {
      const name = literal(props, 'QueueName') ?? id;
      return {
        type,
        ref: `${endpoints.sqs ?? 'http://127.0.0.1'}/${LOCAL_ACCOUNT_ID}/${name}`,
        attributes: {
          Arn: arn('sqs', name),
          QueueName: name,
          QueueUrl: `${endpoints.sqs ?? 'http://127.0.0.1'}/${LOCAL_ACCOUNT_ID}/${name}`,
        },
      };
    }
    case 'AWS::Serverless::Function':
    case 'AWS::Lambda::Function': {
      const name = literal(props, 'FunctionName') ?? id;
      return { type, ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
    }
    case 'AWS::Serverless::LayerVersion':
    case 'AWS::Lambda::LayerVersion':
      return { type, ref: arn('lambda', `layer:${literal(props, 'LayerName') ?? id}:1`), attributes: {} };
    case 'AWS::Serverless::HttpApi':
    case 'AWS::Serverless::Api':
      return {
        type,
        ref: id.toLowerCase(),
        attributes: { ApiEndpoint: endpoints.http ?? 'http://127.0.0.1:3000', RootResourceId: 'root' },
      };
    case 'AWS::SecretsManager::RotationSchedule':
      // CloudFormation's physical id for a schedule is the secret's ARN: seeding sets it, once known.
      return { type, ref: id, attributes: {} };
    case 'AWS::KMS::Key':
      return { type, ref: 'local-key', attributes: { Arn: arn('kms', 'key/local-key'), KeyId: 'local-key' } };
    case 'AWS::IAM::Role':
      return {
        type,
        ref: id,
        attributes: {
          Arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${literal(props, 'RoleName') ?? id}`,
          RoleId: `AROALOCAL${id.toUpperCase()}`,
        },
      };
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
): Map<string, PhysicalResource> {
  const out = new Map<string, PhysicalResource>();
  for (const [id, r] of Object.entries(template.Resources)) {
    const described = describe(id, r.Type, isObject(r.Properties) ? r.Properties : {}, endpoints);
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

/**
 * Resolves template values for the local cloud: literals, parameters (their defaults or overrides),
 * pseudo parameters, and Ref / GetAtt / Sub / Join / Select / If over the local resources.
 */
export function cloudResolver(
  template: Template,
  resources: Map<string, PhysicalResource>,
  parameterOverrides: Record<string, string> = {},
): ValueResolver {
  const pseudo = LOCAL_PSEUDO_PARAMETERS;
  const ref = (name: string, where: string): string => {
    if (name in pseudo) return pseudo[name]!;
    if (name in parameterOverrides) return parameterOverrides[name]!;
    const param = template.Parameters?.[name];
    if (param) return resolve(param.Default ?? '', `${where} (parameter ${name} has no default)`);
    const resource = resources.get(name);
    if (resource) return resource.ref;
    throw new FunctionConfigError(`${where}: Ref to ${name}, which the local cloud does not create`);
  };
  const getAtt = (id: string, attr: string, where: string): string => {
    const value = resources.get(id)?.attributes[attr];
    if (value === undefined)
      throw new FunctionConfigError(`${where}: Fn::GetAtt ${id}.${attr} has no local value`);
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
