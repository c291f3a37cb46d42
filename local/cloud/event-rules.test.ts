import type { Template } from '../template/template';
import { undeliveredEvents } from './event-rules';

describe('undeliveredEvents', () => {
  it('names each function event the local cloud does not deliver, and only those', () => {
    const template = {
      Resources: {
        Fn: {
          Type: 'AWS::Serverless::Function',
          Properties: {
            Events: {
              Get: { Type: 'HttpApi', Properties: {} },
              Nightly: { Type: 'Schedule', Properties: { Schedule: 'rate(1 day)' } },
              Upload: { Type: 'S3', Properties: { Bucket: { Ref: 'B' }, Events: 's3:ObjectCreated:*' } },
              Stream: { Type: 'DynamoDB', Properties: {} },
            },
          },
        },
        Schedule: { Type: 'AWS::SecretsManager::RotationSchedule', Properties: {} },
      },
    } as unknown as Template;
    expect(undeliveredEvents(template)).toEqual([
      expect.stringMatching(
        /^Resources\.Fn\.Properties\.Events\.Upload: S3 events are not delivered by the local cloud .*; invoke Fn with a sample event instead$/,
      ),
      expect.stringMatching(/^Resources\.Fn\.Properties\.Events\.Stream: DynamoDB events are not delivered/),
      expect.stringMatching(
        /^Resources\.Schedule: scheduled rotations do not run in the local cloud; call RotateSecret/,
      ),
    ]);
  });
});
