import { parseLogLevel } from './index';

describe('cache demo log level', () => {
  it('accepts the four levels in any case and falls back to INFO otherwise', () => {
    expect(parseLogLevel('debug')).toEqual({ level: 'DEBUG', valid: true });
    expect(parseLogLevel(' WARN ')).toEqual({ level: 'WARN', valid: true });
    expect(parseLogLevel('TRACE')).toEqual({ level: 'INFO', valid: false });
    expect(parseLogLevel('')).toEqual({ level: 'INFO', valid: false });
  });
});
