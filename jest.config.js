/** Tests live beside the code they test (`*.test.ts`); esbuild strips types, `tsc --noEmit` checks them. */
// The tooling runs on the developer's Node (≥ 20.19); the SDK's notice about its own future minimum is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/functions', '<rootDir>/extensions', '<rootDir>/local', '<rootDir>/bench'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': '<rootDir>/local/jest/esbuild-transform.js' },
  testTimeout: 30000,
};
