import { randomBytes } from 'node:crypto';
import { startQueryServer, xmlElement, type QueryServer } from '../aws-query-protocol';

/**
 * STS GetSessionToken as STS answers it, for tests of `npm start -- --aws` with long-term keys:
 * the functions must get session credentials, as on Lambda, never the keys themselves. `issue` says
 * which key pair the session uses (a test double's services know only theirs); any other action is
 * InvalidAction.
 */
export function startStsApi(
  issue: { accessKeyId: string; secretAccessKey: string },
  options: { lifetimeSeconds?: number } = {},
): Promise<QueryServer> {
  return startQueryServer({
    namespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
    actions: {
      GetSessionToken: (form) => {
        // GetSessionToken's default is 12 hours; tests ask for short sessions to see them renewed.
        const seconds = options.lifetimeSeconds ?? Number(form.get('DurationSeconds') ?? 43_200);
        return (
          '<Credentials>' +
          xmlElement('AccessKeyId', issue.accessKeyId) +
          xmlElement('SecretAccessKey', issue.secretAccessKey) +
          xmlElement('SessionToken', randomBytes(32).toString('base64')) +
          xmlElement('Expiration', new Date(Date.now() + seconds * 1000).toISOString()) +
          '</Credentials>'
        );
      },
    },
  });
}
