/**
 * `npm start` and `npm run invoke` until the local sandbox (issue 3) and local cloud (issue 4) land:
 * say so plainly and exit non-zero, rather than pretend to run anything.
 */
const command = process.argv[2] ?? 'this command';
const what: Record<string, string> = {
  start: 'the local cloud (every function of template.yaml on emulated AWS services)',
  invoke: 'the local Lambda sandbox (run one function with its extensions)',
};
console.error(
  `npm ${command === 'start' ? 'start' : `run ${command}`}: ${what[command] ?? command} is not built yet. ` +
    'Meanwhile: `npm test` checks and tests everything, `npm run build` bundles template.yaml into build/.',
);
process.exitCode = 2;
