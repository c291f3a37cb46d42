import { checkReferences } from './references-check';
import { propsOf, realTemplate } from './test-fixtures';

const messages = (t = realTemplate()) => checkReferences(t).map((f) => `${f.where}: ${f.message}`);

describe('references check', () => {
  it('passes template.yaml', () => {
    expect(messages()).toEqual([]);
  });

  it('fails a dangling Ref', () => {
    const t = realTemplate();
    const events = propsOf(t, 'HelloFunction').Events as Record<
      string,
      { Properties: Record<string, unknown> }
    >;
    events.Hello!.Properties.ApiId = { Ref: 'MissingApi' };
    expect(messages(t)).toEqual([
      'Resources.HelloFunction.Properties.Events.Hello.Properties.ApiId: Ref to "MissingApi", which is no parameter, resource or pseudo parameter',
    ]);
  });

  it('fails a GetAtt of a missing resource or attribute, in short and long form', () => {
    const t = realTemplate();
    t.Outputs!.A = { Value: { 'Fn::GetAtt': ['Nothing', 'Arn'] } };
    t.Outputs!.B = { Value: { 'Fn::GetAtt': 'HelloFunction.Name' } };
    expect(messages(t)).toEqual([
      'Outputs.A.Value: GetAtt of "Nothing", which is no resource',
      expect.stringMatching(/^Outputs\.B\.Value: AWS::Lambda::Function has no attribute "Name"/),
    ]);
  });

  it('fails Sub variables that name nothing, but not escaped ones or local variables', () => {
    const t = realTemplate();
    propsOf(t, 'HelloFunctionLogGroup').LogGroupName = {
      'Fn::Sub': [
        '/aws/lambda/${Fn}-${!Literal}-${Local}-${AWS::StackName}-${Ghost}',
        { Local: 'x', Fn: { Ref: 'HelloFunction' } },
      ],
    };
    expect(messages(t)).toEqual([
      'Resources.HelloFunctionLogGroup.Properties.LogGroupName: Ref to "Ghost", which is no parameter, resource or pseudo parameter',
    ]);
  });

  it('knows the role SAM generates, and only while the function has no Role of its own', () => {
    const t = realTemplate();
    t.Outputs!.Role = { Value: { 'Fn::GetAtt': ['HelloFunctionRole', 'Arn'] } };
    expect(messages(t)).toEqual([]);
    propsOf(t, 'HelloFunction').Role = 'arn:aws:iam::123456789012:role/x';
    expect(messages(t)).toEqual(['Outputs.Role.Value: GetAtt of "HelloFunctionRole", which is no resource']);
  });

  it('fails undeclared conditions, mappings and DependsOn targets', () => {
    const t = realTemplate();
    t.Resources.HelloFunctionLogGroup!.Condition = 'IsProd';
    t.Resources.HelloFunctionLogGroup!.DependsOn = ['HelloFunction', 'Ghost'];
    t.Outputs!.M = { Value: { 'Fn::FindInMap': ['Regions', { Ref: 'AWS::Region' }, 'Ami'] } };
    expect(messages(t)).toEqual([
      'Resources.HelloFunctionLogGroup.Condition: condition "IsProd" is not declared in Conditions',
      'Resources.HelloFunctionLogGroup.DependsOn: "Ghost" is no resource',
      'Outputs.M.Value: mapping "Regions" is not declared in Mappings',
    ]);
  });
});
