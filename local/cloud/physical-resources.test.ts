import { activeTemplate, cloudResolver } from './physical-resources';
import type { Template } from '../template/template';

const template = {
  Parameters: {
    Prefix: { Type: 'String', Default: '' },
    Mode: { Type: 'String', Default: 'on' },
  },
  Conditions: {
    HasPrefix: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Prefix' }, ''] }] },
    Both: { 'Fn::And': [{ Condition: 'HasPrefix' }, { 'Fn::Equals': [{ Ref: 'Mode' }, 'on'] }] },
    Either: { 'Fn::Or': [{ Condition: 'HasPrefix' }, { 'Fn::Equals': [{ Ref: 'Mode' }, 'on'] }] },
  },
  Resources: {},
} as unknown as Template;

describe('cloudResolver: Fn::If over the template conditions', () => {
  it('chooses the branch its condition selects, with parameter overrides', () => {
    const resolve = cloudResolver(template, new Map());
    expect(resolve({ 'Fn::If': ['HasPrefix', 'yes', 'no'] }, 'x')).toBe('no');
    expect(resolve({ 'Fn::If': ['Either', 'yes', 'no'] }, 'x')).toBe('yes');
    expect(resolve({ 'Fn::If': ['Both', 'yes', { Ref: 'AWS::NoValue' }] }, 'x')).toBe('');
    const overridden = cloudResolver(template, new Map(), { Prefix: '/p' });
    expect(overridden({ 'Fn::If': ['Both', { 'Fn::Sub': '${Prefix}/x' }, 'no'] }, 'x')).toBe('/p/x');
  });

  it('names an undefined condition', () => {
    expect(() => cloudResolver(template, new Map())({ 'Fn::If': ['Nope', 'a', 'b'] }, 'Env.X')).toThrow(
      /Env\.X: Fn::If names condition Nope, which is not defined/,
    );
  });
});

describe('activeTemplate: resources as the stack would create them', () => {
  const withResources = {
    ...template,
    Resources: {
      Always: { Type: 'AWS::SQS::Queue' },
      OnlyWithPrefix: { Type: 'AWS::SQS::Queue', Condition: 'HasPrefix' },
      WhenEither: { Type: 'AWS::SQS::Queue', Condition: 'Either' },
    },
  } as unknown as Template;

  it('leaves out resources whose condition is false, keeping the others', () => {
    expect(Object.keys(activeTemplate(withResources).Resources)).toEqual(['Always', 'WhenEither']);
    expect(Object.keys(activeTemplate(withResources, { Prefix: '/p' }).Resources)).toEqual([
      'Always',
      'OnlyWithPrefix',
      'WhenEither',
    ]);
  });

  it('names a resource whose condition is not defined', () => {
    const broken = { ...template, Resources: { Odd: { Type: 'AWS::SQS::Queue', Condition: 'Nope' } } };
    expect(() => activeTemplate(broken as unknown as Template)).toThrow(/Resources\.Odd\.Condition: .*Nope/);
  });
});
