import { cloudResolver } from './physical-resources';
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
