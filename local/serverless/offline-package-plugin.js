'use strict';

/**
 * Lets `sls package` run with no AWS account when the service declares `layers:`.
 *
 * For every layer, the framework's package step asks CloudFormation (DescribeStacks) for the last
 * deployed layer hash so `deploy` can skip re-uploading an unchanged layer. A plain `package` has
 * nothing to compare against and no credentials to ask with, so that lookup fails the build.
 * Only for the `package` command, this plugin answers the comparison as "no stack deployed yet" —
 * what CloudFormation itself answers for a new stack. `deploy` keeps the original behaviour.
 */
class OfflinePackagePlugin {
  constructor(serverless) {
    const command = (serverless.processedInput && serverless.processedInput.commands) || [];
    if (command[0] !== 'package') return;
    this.hooks = {
      'before:package:compileLayers': () => {
        const layers = serverless.pluginManager.plugins.find(
          (p) => p.constructor.name === 'AwsCompileLayers',
        );
        if (!layers) {
          throw new Error('offline-package-plugin: the framework has no AwsCompileLayers plugin to adjust');
        }
        layers.compareWithLastLayer = async () => undefined;
      },
    };
  }
}

module.exports = OfflinePackagePlugin;
