import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCacheConfig } from '../../extensions/cache-extension/config-file';
import { projectRoot, realServerless, realTemplate } from '../../local/checks/test-fixtures';
import { isObject, type Template } from '../../local/template/template';

/**
 * Least privilege for the cache demo: its role may read exactly the items its config.yaml caches —
 * no more (a new grant needs a new item) and no less (a new item needs its grant) — in both templates.
 */
const config = parseCacheConfig(readFileSync(join(__dirname, 'config.yaml'), 'utf8'), 'config.yaml');

/** The template resource a configured name refers to, by the name property it declares. */
function resourceNamed(template: Template, type: string, property: string, name: string): string {
  const found = Object.entries(template.Resources).find(
    ([, r]) => r.Type === type && r.Properties?.[property] === name,
  );
  if (!found) throw new Error(`config.yaml names ${name}, which no ${type} in the template declares`);
  return found[0];
}

function expectedGrants(template: Template): Record<string, unknown[]> {
  return {
    'dynamodb:GetItem': config.dynamodb.map((d) => ({
      'Fn::GetAtt': [resourceNamed(template, 'AWS::DynamoDB::Table', 'TableName', d.table), 'Arn'],
    })),
    'ssm:GetParameter': config.parameters.map((p) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${p.name.replace(/^\//, '')}`,
    })),
    'secretsmanager:GetSecretValue': config.secrets.map((s) => ({
      Ref: resourceNamed(template, 'AWS::SecretsManager::Secret', 'Name', s.id),
    })),
    'secretsmanager:DescribeSecret': config.secrets.map((s) => ({
      Ref: resourceNamed(template, 'AWS::SecretsManager::Secret', 'Name', s.id),
    })),
  };
}

/** Action → resources granted, from a list of policy statements. */
function grants(statements: unknown[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const s of statements) {
    if (!isObject(s) || s.Effect !== 'Allow') continue;
    for (const action of [s.Action].flat() as string[]) (out[action] ??= []).push(...[s.Resource].flat());
  }
  return out;
}

const sortedGrants = (g: Record<string, unknown[]>) =>
  Object.fromEntries(Object.entries(g).map(([k, v]) => [k, v.map((x) => JSON.stringify(x)).sort()]));

describe('cache demo permissions', () => {
  it('template.yaml grants reads of exactly the configured items', () => {
    const template = realTemplate();
    const policies = template.Resources.CacheDemoFunction!.Properties!.Policies as Array<{
      Statement: unknown[];
    }>;
    expect(sortedGrants(grants(policies.flatMap((p) => p.Statement)))).toEqual(
      sortedGrants(expectedGrants(template)),
    );
  });

  it('serverless.yml gives the function its own role with the same grants', () => {
    const sls = realServerless();
    const resources = sls.resources!.Resources as Template['Resources'];
    const role = resources.CacheDemoRole!.Properties!;
    const statements = (role.Policies as Array<{ PolicyDocument: { Statement: unknown[] } }>).flatMap(
      (p) => p.PolicyDocument.Statement,
    );
    expect(sls.functions!.cacheDemo!.role).toBe('CacheDemoRole');
    expect(sortedGrants(grants(statements))).toEqual(sortedGrants(expectedGrants({ Resources: resources })));
  });

  it('ships config.yaml where the extension reads it in both packages', () => {
    const template = realTemplate();
    expect(template.Resources.CacheDemoFunction!.Properties!.Environment).toMatchObject({
      Variables: { CACHE_EXTENSION_CONFIG: '/var/task/config.yaml' },
    });
    expect(readFileSync(join(projectRoot, 'functions/cache-demo/Makefile'), 'utf8')).toMatch(
      /cp "\$\(HERE\)\/config\.yaml" "\$\(ARTIFACTS_DIR\)\/config\.yaml"/,
    );
    const fn = realServerless().functions!.cacheDemo!;
    expect(fn.environment).toMatchObject({
      CACHE_EXTENSION_CONFIG: '/var/task/functions/cache-demo/config.yaml',
    });
    expect(fn.package).toEqual({ patterns: ['functions/cache-demo/config.yaml'] });
  });
});
