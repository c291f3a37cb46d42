import { X509Certificate } from 'node:crypto';
import {
  DeleteParameterCommand,
  GetParametersByPathCommand,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { ParameterTier } from './config';
import type { CaRoots, ConsulClient, LeafCert } from './consul-client';
import type { ServiceScope } from './tags';

/**
 * The mTLS data Consul's Lambda extension reads for a service: a SecureString at
 * `<prefix>/<partition>/<namespace>/<service>` holding the leaf certificate, its key, the active
 * root and the trust domain (the documented JSON).
 */
export interface ExtensionData {
  privateKeyPEM: string;
  certPEM: string;
  rootCertPEM: string;
  trustDomain: string;
  peers?: Array<{ name: string; trustDomain: string }>;
}

export type Peer = { name: string; trustDomain: string };

/**
 * What a run's mTLS data is built from, each fetched once per sync: the CA roots, and per partition
 * the active cluster peerings (their trust domains let the extension call services of the peers).
 */
export interface TrustBundle {
  roots(): Promise<CaRoots>;
  peers(partition: string | undefined): Promise<Peer[]>;
}

export function trustBundle(consul: ConsulClient, onPeeringError: (e: Error) => void): TrustBundle {
  let roots: Promise<CaRoots> | undefined;
  const peers = new Map<string, Promise<Peer[]>>();
  return {
    roots: () => (roots ??= consul.caRoots()),
    peers: (partition) => {
      const key = partition ?? '';
      let found = peers.get(key);
      if (!found) {
        found = consul.peerings(partition).then(activePeers, (e: Error) => {
          // Without peering:read the data still serves the cluster's own services.
          onPeeringError(e);
          return [];
        });
        peers.set(key, found);
      }
      return found;
    },
  };
}

/** Consul names a peer's servers `server.<dc>.peering.<trust domain>`. */
function activePeers(list: Array<{ Name: string; State: string; PeerServerName?: string }>): Peer[] {
  return list
    .filter((p) => p.State === 'ACTIVE' && p.PeerServerName)
    .map((p) => ({ name: p.Name, trustDomain: p.PeerServerName!.replace(/^server\.[^.]+\.peering\./, '') }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** SSM standard parameters hold at most 4 KB. */
const STANDARD_LIMIT = 4096;

export function extensionDataPath(prefix: string, scope: ServiceScope, service: string): string {
  return `${prefix}/${scope.partition ?? 'default'}/${scope.namespace ?? 'default'}/${service}`;
}

/** Every stored extension data document under the prefix, by parameter name (decrypted). */
export async function readExtensionData(ssm: SSMClient, prefix: string): Promise<Map<string, ExtensionData>> {
  const found = new Map<string, ExtensionData>();
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(
      new GetParametersByPathCommand({ Path: prefix, Recursive: true, WithDecryption: true, NextToken }),
    );
    for (const p of page.Parameters ?? []) {
      try {
        if (p.Name && p.Value) found.set(p.Name, JSON.parse(p.Value) as ExtensionData);
      } catch {
        // Unreadable data is treated as missing: the next write replaces it.
      }
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

/**
 * Whether stored data must be re-issued: missing, signed by a root that is no longer active, or a
 * leaf within the last third of its lifetime (the consuming extension re-reads every 5 minutes, so
 * this leaves it ample time to pick up the new one before the old one expires).
 */
export function needsReissue(
  stored: ExtensionData | undefined,
  activeRootPem: string,
  peers: Peer[],
  nowMs: number,
): boolean {
  if (!stored?.certPEM || !stored.privateKeyPEM) return true;
  if (stored.rootCertPEM?.trim() !== activeRootPem.trim()) return true;
  if (JSON.stringify(stored.peers ?? []) !== JSON.stringify(peers)) return true;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(stored.certPEM);
  } catch {
    return true;
  }
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return nowMs >= to - (to - from) / 3;
}

export function activeRoot(roots: CaRoots): string {
  const root = roots.Roots.find((r) => r.ID === roots.ActiveRootID);
  if (!root) throw new Error(`Consul CA roots: the active root ${roots.ActiveRootID} is not in the list`);
  return root.RootCert;
}

export function extensionDataOf(leaf: LeafCert, roots: CaRoots, peers: Peer[]): ExtensionData {
  return {
    privateKeyPEM: leaf.PrivateKeyPEM,
    certPEM: leaf.CertPEM,
    rootCertPEM: activeRoot(roots),
    trustDomain: roots.TrustDomain,
    ...(peers.length > 0 ? { peers } : {}),
  };
}

export async function writeExtensionData(
  ssm: SSMClient,
  path: string,
  data: ExtensionData,
  tier: ParameterTier,
  kmsKeyId?: string,
): Promise<void> {
  const value = JSON.stringify(data);
  await ssm.send(
    new PutParameterCommand({
      Name: path,
      Value: value,
      Type: 'SecureString',
      Overwrite: true,
      // A standard parameter cannot hold it: Advanced only when the data needs it.
      Tier: tier === 'Standard' && value.length > STANDARD_LIMIT ? 'Advanced' : tier,
      ...(kmsKeyId ? { KeyId: kmsKeyId } : {}),
    }),
  );
}

/** Idempotent: data already gone is not an error (the original failed the whole delete on it). */
export async function deleteExtensionData(ssm: SSMClient, path: string): Promise<void> {
  try {
    await ssm.send(new DeleteParameterCommand({ Name: path }));
  } catch (e) {
    if (!(e instanceof ParameterNotFound)) throw e;
  }
}
