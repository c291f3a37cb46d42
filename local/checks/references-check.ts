import { isObject, type Template } from '../template/template';
import { cfnResource } from './cfn-spec';
import type { Finding } from './finding';

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

/** The CloudFormation resource a SAM resource becomes, whose attributes `Fn::GetAtt` can read. */
const SAM_UNDERLYING: Record<string, string> = {
  'AWS::Serverless::Function': 'AWS::Lambda::Function',
  'AWS::Serverless::LayerVersion': 'AWS::Lambda::LayerVersion',
  'AWS::Serverless::HttpApi': 'AWS::ApiGatewayV2::Api',
  'AWS::Serverless::Api': 'AWS::ApiGateway::RestApi',
  'AWS::Serverless::SimpleTable': 'AWS::DynamoDB::Table',
};

interface Targets {
  /** Logical id → CloudFormation type (after SAM), for Ref and GetAtt. */
  resources: Map<string, string>;
  /** Ids only `Ref` can name, such as SAM's `Fn.Alias`. */
  refOnly: Set<string>;
  parameters: Set<string>;
  conditions: Set<string>;
  mappings: Set<string>;
}

/** Resources SAM creates for the template that the author may reference by their documented ids. */
function samGenerated(template: Template, targets: Targets): void {
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::Serverless::Function') {
      if (!('Role' in p)) targets.resources.set(`${id}Role`, 'AWS::IAM::Role');
      if ('AutoPublishAlias' in p || 'AutoPublishAlias' in (template.Globals?.Function ?? {})) {
        targets.refOnly.add(`${id}.Alias`).add(`${id}.Version`);
      }
      for (const event of Object.values(isObject(p.Events) ? p.Events : {})) {
        if (!isObject(event)) continue;
        const ep = isObject(event.Properties) ? event.Properties : {};
        if (event.Type === 'HttpApi' && !('ApiId' in ep))
          targets.resources.set('ServerlessHttpApi', 'AWS::ApiGatewayV2::Api');
        if (event.Type === 'Api' && !('RestApiId' in ep))
          targets.resources.set('ServerlessRestApi', 'AWS::ApiGateway::RestApi');
      }
    }
    if (r.Type === 'AWS::Serverless::Api') targets.refOnly.add(`${id}.Stage`).add(`${id}.Deployment`);
    if (r.Type === 'AWS::Serverless::HttpApi') targets.refOnly.add(`${id}.Stage`);
  }
}

function collectTargets(template: Template): Targets {
  const targets: Targets = {
    resources: new Map(
      Object.entries(template.Resources).map(([id, r]) => [id, SAM_UNDERLYING[r.Type] ?? r.Type]),
    ),
    refOnly: new Set(),
    parameters: new Set(Object.keys(template.Parameters ?? {})),
    conditions: new Set(Object.keys(template.Conditions ?? {})),
    mappings: new Set(Object.keys(template.Mappings ?? {})),
  };
  samGenerated(template, targets);
  return targets;
}

/** Every Ref, GetAtt, Sub variable, condition, mapping and DependsOn names something that exists. */
export function checkReferences(template: Template): Finding[] {
  const targets = collectTargets(template);
  const findings: Finding[] = [];
  const report = (where: string, message: string) => findings.push({ check: 'references', where, message });

  const refTarget = (name: string, where: string, localVars: Set<string> = new Set()) => {
    if (
      localVars.has(name) ||
      PSEUDO_PARAMETERS.has(name) ||
      targets.parameters.has(name) ||
      targets.resources.has(name) ||
      targets.refOnly.has(name)
    ) {
      return;
    }
    report(where, `Ref to "${name}", which is no parameter, resource or pseudo parameter`);
  };

  const getAtt = (resource: string, attribute: string, where: string) => {
    const type = targets.resources.get(resource);
    if (!type) return report(where, `GetAtt of "${resource}", which is no resource`);
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') return;
    const spec = cfnResource(type);
    if (spec && !(attribute in spec.attributes)) {
      report(
        where,
        `${type} has no attribute "${attribute}" (it has: ${Object.keys(spec.attributes).join(', ') || 'none'})`,
      );
    }
  };

  const sub = (text: string, where: string, localVars: Set<string>) => {
    for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
      const name = match[1]!;
      if (name.startsWith('!')) continue; // ${!Literal} is written out as-is
      const dot = name.indexOf('.');
      if (dot > 0 && !PSEUDO_PARAMETERS.has(name) && !localVars.has(name))
        getAtt(name.slice(0, dot), name.slice(dot + 1), where);
      else refTarget(name, where, localVars);
    }
  };

  const condition = (name: unknown, where: string) => {
    if (typeof name === 'string' && !targets.conditions.has(name))
      report(where, `condition "${name}" is not declared in Conditions`);
  };

  const walk = (value: unknown, where: string): void => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${where}[${i}]`));
    if (!isObject(value)) return;
    for (const [key, v] of Object.entries(value)) {
      const at = `${where}.${key}`;
      if (key === 'Ref' && typeof v === 'string') refTarget(v, where);
      else if (key === 'Fn::GetAtt') {
        const [resource, attribute] = Array.isArray(v) ? v : String(v).split(/\.(.*)/);
        if (typeof resource === 'string' && typeof attribute === 'string') getAtt(resource, attribute, where);
        else if (typeof resource === 'string')
          report(where, `GetAtt needs [resource, attribute], got ${JSON.stringify(v)}`);
        else walk(v, at);
      } else if (key === 'Fn::Sub') {
        const [text, vars] = Array.isArray(v) ? v : [v, {}];
        const localVars = new Set(isObject(vars) ? Object.keys(vars) : []);
        if (typeof text === 'string') sub(text, where, localVars);
        walk(vars, at);
      } else if (key === 'Fn::If' && Array.isArray(v)) {
        condition(v[0], where);
        walk(v.slice(1), at);
      } else if (key === 'Condition' && typeof v === 'string' && Object.keys(value).length === 1) {
        condition(v, where);
      } else if (key === 'Fn::FindInMap' && Array.isArray(v)) {
        if (typeof v[0] === 'string' && !targets.mappings.has(v[0]))
          report(where, `mapping "${v[0]}" is not declared in Mappings`);
        walk(v.slice(1), at);
      } else walk(v, at);
    }
  };

  walk(template.Globals, 'Globals');
  walk(template.Conditions, 'Conditions');
  for (const [id, resource] of Object.entries(template.Resources)) {
    const where = `Resources.${id}`;
    walk(resource.Properties, `${where}.Properties`);
    if (resource.Condition !== undefined) condition(resource.Condition, `${where}.Condition`);
    for (const dep of [resource.DependsOn ?? []].flat()) {
      if (!targets.resources.has(dep)) report(`${where}.DependsOn`, `"${dep}" is no resource`);
    }
  }
  for (const [id, output] of Object.entries(template.Outputs ?? {})) {
    walk(output, `Outputs.${id}`);
    if (output.Condition !== undefined) condition(output.Condition, `Outputs.${id}.Condition`);
  }
  return findings;
}
