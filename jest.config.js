/** Tests live beside the code they test (`*.test.ts`); esbuild strips types, `tsc --noEmit` checks them. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/functions', '<rootDir>/extensions', '<rootDir>/local', '<rootDir>/bench'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': '<rootDir>/local/jest/esbuild-transform.js' },
  testTimeout: 30000,
};
