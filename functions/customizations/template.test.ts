import { realServerless, realTemplate } from '../../local/checks/test-fixtures';
import type { Template } from '../../local/template/template';

/** The REST API's protections in both templates: API key + usage plan, model, and the optional WAF. */
type Rule = { Name: string; Statement: Record<string, unknown> };
// Template fragments read by path in a test: a wrong path fails the expectation, not the types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

function wafRules(resources: Template['Resources']): Record<string, string[]> {
  const acl = resources.SamplesWebAcl!;
  const association = resources.SamplesWebAclAssociation!;
  return {
    conditions: [String(acl.Condition), String(association.Condition)],
    rules: (acl.Properties!.Rules as Rule[]).map((r) => `${r.Name}:${Object.keys(r.Statement)[0]}`),
  };
}

const expectedWaf = {
  conditions: ['SamplesWafEnabled', 'SamplesWafEnabled'],
  rules: [
    'body-size-limit:SizeConstraintStatement',
    'sql-injection-uri:SqliMatchStatement',
    'rate-limit:RateBasedStatement',
  ],
};

describe('customizations API protections', () => {
  it('template.yaml: API key with a usage plan, validated model, WAF behind SamplesWafEnabled (off by default)', () => {
    const template = realTemplate();
    const api = template.Resources.SamplesRestApi!.Properties!;
    expect(api.Auth).toMatchObject({ ApiKeyRequired: true, UsagePlan: { CreateUsagePlan: 'PER_API' } });
    const event = (template.Resources.CustomizationsFunction!.Properties!.Events as Record<string, Loose>)
      .PostCustomization.Properties;
    expect(event.RequestModel).toEqual({ Model: 'CustomizationPost', Required: true, ValidateBody: true });
    expect(template.Parameters!.EnableSamplesWaf!.Default).toBe('false');
    expect(wafRules(template.Resources)).toEqual(expectedWaf);
  });

  it('serverless.yml: private http event with the same schema file, usage plan, same WAF', () => {
    const sls = realServerless();
    const http = (sls.functions!.customizations!.events as Array<Record<string, Loose>>)[0]!.http;
    expect(http.private).toBe(true);
    expect(http.request.schemas['application/json'].schema).toBe(
      '${file(functions/customizations/customization-post.schema.json)}',
    );
    expect((sls.provider as Record<string, Loose>).apiGateway.usagePlan).toBeDefined();
    expect(wafRules(sls.resources!.Resources as Template['Resources'])).toEqual(expectedWaf);
  });
});
