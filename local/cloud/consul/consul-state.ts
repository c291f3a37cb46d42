import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, randomBytes, randomUUID, webcrypto, KeyObject } from 'node:crypto';

/**
 * In-memory state of the Consul emulator: datacenters, admin partitions and namespaces (Enterprise),
 * the catalog (nodes and services), config entries, ACL tokens, a raft-like index per datacenter
 * and the built-in Connect CA. Behaviour follows Consul's own server code paths (catalog
 * `Catalog.Register`, `ConfigEntry.Apply`, the Consul CA provider and the agent's leaf-cert manager),
 * but the implementation is ours. Errors are thrown as {@link ConsulError} carrying the HTTP status
 * Consul's HTTP layer would answer with and Consul's own message text.
 */

/** The library's own key and provider types (DOM WebCrypto types; node's are structurally the same). */
type LibCryptoKey = Parameters<typeof x509.X509CertificateGenerator.create>[0] extends {
  signingKey?: infer K;
}
  ? K
  : never;
type LibCrypto = Parameters<typeof x509.cryptoProvider.set>[0];
const libKey = (k: webcrypto.CryptoKey) => k as unknown as LibCryptoKey;

x509.cryptoProvider.set(webcrypto as unknown as LibCrypto);

// ---------------------------------------------------------------------------------------------
// Errors and small helpers
// ---------------------------------------------------------------------------------------------

/** An error Consul answers with: HTTP status (500 for plain RPC errors, like Consul) and text. */
export class ConsulError extends Error {
  constructor(
    message: string,
    readonly status = 500,
  ) {
    super(message);
  }
}

/** `hashicorp/go-multierror`'s default list format. */
export function multiError(errors: string[]): string {
  if (errors.length === 1) return `1 error occurred:\n\t* ${errors[0]}\n\n`;
  return `${errors.length} errors occurred:\n\t${errors.map((e) => `* ${e}`).join('\n\t')}\n\n`;
}

/** Go's `%q` for the strings this emulator quotes (ASCII-safe subset of strconv.Quote). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's `time.Time` JSON form: RFC 3339 with fractional seconds only when non-zero. */
export function goTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Consul's `connect.HexString`: lower-case hex bytes joined by colons. */
export function hexString(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

const DEFAULT = 'default';
export const ANONYMOUS_ACCESSOR_ID = '00000000-0000-0000-0000-000000000002';
export const DEFAULT_LEAF_TTL_MS = 72 * 3600 * 1000; // structs.DefaultLeafCertTTL = "72h"
const ROOT_TTL_MS = 87600 * 3600 * 1000; // structs.DefaultRootCertTTL = "87600h"
const INTERMEDIATE_TTL_MS = 8760 * 3600 * 1000; // structs.DefaultIntermediateCertTTL = "8760h"
const CLOCK_DRIFT_MS = 60 * 1000; // leaf NotBefore = now - 1 minute, like the Consul CA provider

// ---------------------------------------------------------------------------------------------
// Clock (test hook)
// ---------------------------------------------------------------------------------------------

/** The emulator's clock; tests move it to make leaf certificates near expiry. */
export class Clock {
  private offsetMs = 0;
  private fixedMs: number | undefined;
  now(): number {
    return this.fixedMs ?? Date.now() + this.offsetMs;
  }
  /** Freeze the clock at an absolute time (ms since epoch). */
  set(ms: number): void {
    this.fixedMs = ms;
  }
  /** Move the clock forward (or back) by `ms`. */
  advance(ms: number): void {
    if (this.fixedMs !== undefined) this.fixedMs += ms;
    else this.offsetMs += ms;
  }
  /** Back to real time. */
  reset(): void {
    this.fixedMs = undefined;
    this.offsetMs = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// ACL
// ---------------------------------------------------------------------------------------------

export type AclAccess = 'read' | 'write' | 'deny';

/** A small subset of Consul's ACL rule language, enough for the registrator's needs. */
export interface AclRules {
  service?: Record<string, AclAccess>;
  service_prefix?: Record<string, AclAccess>;
  node?: Record<string, AclAccess>;
  node_prefix?: Record<string, AclAccess>;
  operator?: AclAccess;
}

export interface AclToken {
  AccessorID: string;
  SecretID: string;
  /** A management token (global-management policy) may do everything. */
  management?: boolean;
  rules?: AclRules;
}

type Resource = 'service' | 'node' | 'operator';

function ruleAllows(access: AclAccess | undefined, want: 'read' | 'write'): boolean | undefined {
  if (access === undefined) return undefined;
  if (access === 'deny') return false;
  return want === 'read' ? true : access === 'write';
}

/** The authorizer a token resolves to; `undefined` means ACLs are disabled (everything allowed). */
export class Authorizer {
  constructor(readonly token: AclToken) {}

  private decide(resource: 'service' | 'node', name: string, want: 'read' | 'write'): boolean {
    if (this.token.management) return true;
    const rules = this.token.rules ?? {};
    const exact = rules[resource]?.[name];
    const e = ruleAllows(exact, want);
    if (e !== undefined) return e;
    let best: string | undefined;
    for (const prefix of Object.keys(rules[`${resource}_prefix`] ?? {})) {
      if (name.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
    }
    if (best !== undefined) return ruleAllows(rules[`${resource}_prefix`]?.[best], want) ?? false;
    return false; // default policy deny
  }

  /** Consul's `acl.PermissionDeniedError` text. */
  denied(resource: Resource, level: 'read' | 'write', name?: string): ConsulError {
    const anonymous = this.token.AccessorID === ANONYMOUS_ACCESSOR_ID;
    let msg = anonymous
      ? 'Permission denied: anonymous token'
      : `Permission denied: token with AccessorID '${this.token.AccessorID}'`;
    msg += ` lacks permission '${resource}:${level}'`;
    if (name !== undefined && name !== '') msg += ` on ${goQuote(name)}`;
    if (anonymous) msg += '. The anonymous token is used implicitly when a request does not specify a token.';
    return new ConsulError(msg, 403);
  }

  canService(name: string, level: 'read' | 'write'): boolean {
    return this.decide('service', name, level);
  }
  canNode(name: string, level: 'read' | 'write'): boolean {
    return this.decide('node', name, level);
  }
  canOperator(level: 'read' | 'write'): boolean {
    if (this.token.management) return true;
    return ruleAllows(this.token.rules?.operator, level) ?? false;
  }
  requireService(name: string, level: 'read' | 'write'): void {
    if (!this.canService(name, level)) throw this.denied('service', level, name);
  }
  requireNode(name: string, level: 'read' | 'write'): void {
    if (!this.canNode(name, level)) throw this.denied('node', level, name);
  }
  requireOperator(level: 'read' | 'write'): void {
    if (!this.canOperator(level)) throw this.denied('operator', level);
  }
}

/** With ACLs disabled every check passes. */
const ALLOW_ALL = new Authorizer({ AccessorID: '', SecretID: '', management: true });

// ---------------------------------------------------------------------------------------------
// Catalog and config-entry records
// ---------------------------------------------------------------------------------------------

export type StringMap = Record<string, string>;

export interface NodeRecord {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  Partition: string;
  TaggedAddresses: StringMap | null;
  Meta: StringMap | null;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface ServiceRecord {
  Node: string;
  Partition: string;
  Namespace: string;
  Kind: string;
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  Meta: StringMap | null;
  Port: number;
  EnableTagOverride: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface EnvoyExtension {
  Name: string;
  Required: boolean;
  Arguments: Record<string, unknown> | null;
  ConsulVersion: string;
  EnvoyVersion: string;
}

/** A stored config entry. `service-defaults` fields are typed; other kinds keep their body. */
export interface ConfigEntry {
  Kind: string;
  Name: string;
  Protocol?: string;
  EnvoyExtensions?: EnvoyExtension[];
  Meta?: StringMap;
  Partition?: string;
  Namespace?: string;
  CreateIndex: number;
  ModifyIndex: number;
  /** Any further fields, kept as sent (after Consul's key translation). */
  [key: string]: unknown;
}

export interface NamespaceRecord {
  Name: string;
  Description: string;
  ACLs: { PolicyDefaults: unknown[]; RoleDefaults: unknown[] };
  Meta?: StringMap;
  Partition: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** Scope of a request: Enterprise partition and namespace (always `default` in CE). */
export interface Scope {
  partition: string;
  namespace: string;
}

interface DatacenterState {
  name: string;
  index: number;
  nodes: Map<string, NodeRecord>; // key partition/node-lowercase
  services: Map<string, ServiceRecord>; // key partition/node-lowercase/namespace/id
  nodesIndex: number;
  servicesIndex: number;
  intermediate?: CaCert; // secondary datacenters sign leaves with an intermediate
}

// ---------------------------------------------------------------------------------------------
// Connect CA
// ---------------------------------------------------------------------------------------------

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

interface CaCert {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
  pem: string;
  keyId: Uint8Array;
}

export interface CARootJson {
  ID: string;
  Name: string;
  SerialNumber: number;
  SigningKeyID: string;
  ExternalTrustDomain: string;
  NotBefore: string;
  NotAfter: string;
  RootCert: string;
  IntermediateCerts: string[] | null;
  Active: boolean;
  PrivateKeyType: string;
  PrivateKeyBits: number;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface IssuedCertJson {
  SerialNumber: string;
  CertPEM: string;
  PrivateKeyPEM: string;
  Service: string;
  ServiceURI: string;
  ValidAfter: string;
  ValidBefore: string;
  Partition?: string;
  Namespace?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

interface CachedLeaf {
  issued: IssuedCertJson;
  validAfterMs: number;
  validBeforeMs: number;
  softExpiryMs: number;
  rootId: string;
}

/** Consul's `connect.KeyId`: SHA-256 of the DER SubjectPublicKeyInfo. */
async function keyId(publicKey: webcrypto.CryptoKey): Promise<Uint8Array> {
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', publicKey));
  return new Uint8Array(createHash('sha256').update(spki).digest());
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function serialHex(n: number): string {
  const hex = n.toString(16);
  return hex.length % 2 ? `0${hex}` : hex;
}

/** A compact random id for CA common names (`connect.CompactUID`-like). */
function compactUid(): string {
  return randomBytes(6)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 8);
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
}

/** The built-in ("consul" provider) Connect CA of one cluster. */
export class ConnectCA {
  readonly clusterId = randomUUID();
  readonly trustDomain = `${this.clusterId}.consul`;
  root!: CaCert;
  rootSerial = 0;
  rootIndex = 0;
  private serial = 0;
  private readonly leaves = new Map<string, CachedLeaf>();
  /** Jitter for the soft expiry, in [0, 1]: 0 → renew at 60 % of the lifetime, 1 → at 90 %. */
  renewJitter: () => number = Math.random;

  constructor(
    private readonly clock: Clock,
    public leafTtlMs: number,
  ) {}

  nextSerial(): number {
    this.serial += 1;
    return this.serial;
  }

  /** The SPIFFE id Consul signs the root with: `spiffe://<cluster-id>.consul`. */
  get signingUri(): string {
    return `spiffe://${this.trustDomain}`;
  }

  private caName(kind: 'pri' | 'sec'): string {
    return `CN=${kind}-${compactUid()}.consul.ca.${this.clusterId.slice(0, 8)}.consul`;
  }

  async init(index: number): Promise<void> {
    const keys = await generateKeys();
    const kid = await keyId(keys.publicKey);
    this.rootSerial = this.nextSerial();
    const now = this.clock.now();
    const name = this.caName('pri');
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialHex(this.rootSerial),
      subject: name,
      issuer: name,
      notBefore: new Date(now),
      notAfter: new Date(now + ROOT_TTL_MS),
      signingAlgorithm: EC_ALG,
      publicKey: libKey(keys.publicKey),
      signingKey: libKey(keys.privateKey),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        new x509.SubjectKeyIdentifierExtension(toHex(kid)),
        new x509.AuthorityKeyIdentifierExtension(toHex(kid)),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: this.signingUri }]),
      ],
    });
    this.root = { cert, keys, pem: `${cert.toString('pem')}\n`, keyId: kid };
    this.rootIndex = index;
  }

  /** A secondary datacenter's intermediate, signed by the primary's root (path length 0). */
  async makeIntermediate(): Promise<CaCert> {
    const keys = await generateKeys();
    const kid = await keyId(keys.publicKey);
    const now = this.clock.now() - CLOCK_DRIFT_MS;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialHex(this.nextSerial()),
      subject: this.caName('sec'),
      issuer: this.root.cert.subject,
      notBefore: new Date(now),
      notAfter: new Date(now + INTERMEDIATE_TTL_MS),
      signingAlgorithm: EC_ALG,
      publicKey: libKey(keys.publicKey),
      signingKey: libKey(this.root.keys.privateKey),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        new x509.SubjectKeyIdentifierExtension(toHex(kid)),
        new x509.AuthorityKeyIdentifierExtension(toHex(this.root.keyId)),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: this.signingUri }]),
      ],
    });
    return { cert, keys, pem: `${cert.toString('pem')}\n`, keyId: kid };
  }

  /** `GET /v1/agent/connect/ca/roots` body for a datacenter. */
  roots(dc: DatacenterState): { ActiveRootID: string; TrustDomain: string; Roots: CARootJson[] } {
    const der = new Uint8Array(this.root.cert.rawData);
    const id = hexString(new Uint8Array(createHash('sha1').update(der).digest()));
    const signing = dc.intermediate ?? this.root;
    return {
      ActiveRootID: id,
      TrustDomain: this.trustDomain,
      Roots: [
        {
          ID: id,
          Name: 'Consul CA Primary Cert',
          SerialNumber: this.rootSerial,
          SigningKeyID: hexString(signing.keyId),
          ExternalTrustDomain: '',
          NotBefore: goTime(this.root.cert.notBefore.getTime()),
          NotAfter: goTime(this.root.cert.notAfter.getTime()),
          RootCert: this.root.pem,
          IntermediateCerts: dc.intermediate ? [dc.intermediate.pem] : null,
          Active: true,
          PrivateKeyType: 'ec',
          PrivateKeyBits: 256,
          CreateIndex: this.rootIndex,
          ModifyIndex: this.rootIndex,
        },
      ],
    };
  }

  /** Consul's service SPIFFE id: `/ap/<partition>` only for a non-default partition. */
  serviceUri(dc: string, scope: Scope, service: string): string {
    const path = `/ns/${scope.namespace || DEFAULT}/dc/${dc}/svc/${service}`;
    const ap = scope.partition || DEFAULT;
    return `spiffe://${this.trustDomain}${ap !== DEFAULT ? `/ap/${ap}` : ''}${path}`;
  }

  /**
   * The agent's leaf for a service: cached, and re-issued once the clock passes its soft expiry
   * (a random point between 60 % and 90 % of its lifetime, as Consul's leaf-cert manager does),
   * when it has expired, or when the active root changed.
   */
  async leaf(
    dc: DatacenterState,
    scope: Scope,
    service: string,
    enterprise: boolean,
    nextIndex: () => number,
  ): Promise<{ issued: IssuedCertJson; cached: boolean; ageSeconds: number }> {
    const key = `${dc.name}/${scope.partition}/${scope.namespace}/${service}`;
    const now = this.clock.now();
    const rootId = this.roots(dc).ActiveRootID;
    const hit = this.leaves.get(key);
    if (hit && now < hit.softExpiryMs && now < hit.validBeforeMs && hit.rootId === rootId) {
      return {
        issued: hit.issued,
        cached: true,
        ageSeconds: Math.max(0, Math.round((now - hit.validAfterMs) / 1000)),
      };
    }
    const issued = await this.sign(dc, scope, service, enterprise, nextIndex());
    const validAfterMs = Date.parse(issued.ValidAfter);
    const validBeforeMs = Date.parse(issued.ValidBefore);
    const lifetime = validBeforeMs - validAfterMs;
    const jitter = Math.min(1, Math.max(0, this.renewJitter()));
    const softExpiryMs = validAfterMs + lifetime * (0.6 + 0.3 * jitter);
    this.leaves.set(key, { issued, validAfterMs, validBeforeMs, softExpiryMs, rootId });
    return { issued, cached: false, ageSeconds: 0 };
  }

  private async sign(
    dc: DatacenterState,
    scope: Scope,
    service: string,
    enterprise: boolean,
    index: number,
  ): Promise<IssuedCertJson> {
    const signer = dc.intermediate ?? this.root;
    const keys = await generateKeys();
    const subjectKeyId = await keyId(keys.publicKey);
    const uri = this.serviceUri(dc.name, scope, service);
    const serial = this.nextSerial();
    // Whole seconds, as X.509 times are; NotBefore one minute in the past like the Consul provider.
    const notBefore = Math.floor((this.clock.now() - CLOCK_DRIFT_MS) / 1000) * 1000;
    const notAfter = notBefore + this.leafTtlMs;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialHex(serial),
      // The Consul provider signs leaves with an empty subject; the SAN is then critical (RFC 5280).
      subject: [],
      issuer: signer.cert.subject,
      notBefore: new Date(notBefore),
      notAfter: new Date(notAfter),
      signingAlgorithm: EC_ALG,
      publicKey: libKey(keys.publicKey),
      signingKey: libKey(signer.keys.privateKey),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature |
            x509.KeyUsageFlags.keyEncipherment |
            x509.KeyUsageFlags.dataEncipherment |
            x509.KeyUsageFlags.keyAgreement,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([
          x509.ExtendedKeyUsage.clientAuth,
          x509.ExtendedKeyUsage.serverAuth,
        ]),
        new x509.SubjectKeyIdentifierExtension(toHex(subjectKeyId)),
        new x509.AuthorityKeyIdentifierExtension(toHex(signer.keyId)),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }], true),
      ],
    });
    const privateKeyPEM = KeyObject.from(keys.privateKey).export({ type: 'sec1', format: 'pem' }).toString();
    const chain = dc.intermediate ? dc.intermediate.pem : '';
    const issued: IssuedCertJson = {
      SerialNumber: hexString(Buffer.from(serialHex(serial), 'hex')),
      CertPEM: `${cert.toString('pem')}\n${chain}`,
      PrivateKeyPEM: privateKeyPEM,
      Service: service,
      ServiceURI: uri,
      ValidAfter: goTime(notBefore),
      ValidBefore: goTime(notAfter),
      CreateIndex: index,
      ModifyIndex: index,
    };
    if (enterprise) {
      issued.Partition = scope.partition;
      issued.Namespace = scope.namespace;
    }
    return issued;
  }

  /** Forget cached leaves (the next request re-issues). */
  clearLeafCache(): void {
    this.leaves.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// service-defaults decoding and validation (structs.DecodeConfigEntry + ServiceConfigEntry.Validate)
// ---------------------------------------------------------------------------------------------

/** Config entry kinds Consul knows (`structs.AllConfigEntryKinds`). */
export const CONFIG_ENTRY_KINDS = [
  'service-defaults',
  'proxy-defaults',
  'service-router',
  'service-splitter',
  'service-resolver',
  'ingress-gateway',
  'terminating-gateway',
  'service-intentions',
  'mesh',
  'exported-services',
  'sameness-group',
  'api-gateway',
  'bound-api-gateway',
  'http-route',
  'tcp-route',
  'file-system-certificate',
  'inline-certificate',
  'control-plane-request-limit',
  'jwt-provider',
];

/** Enterprise-only kinds (`requireEnterprise`). */
const ENTERPRISE_KINDS = new Set(['sameness-group', 'control-plane-request-limit']);

export function makeConfigEntryCheck(kind: string): void {
  if (!CONFIG_ENTRY_KINDS.includes(kind)) throw new ConsulError(`invalid config entry kind: ${kind}`);
}

/** ServiceConfigEntry fields with their `alias` (snake_case) spellings. */
const SERVICE_DEFAULTS_FIELDS: Record<string, string> = {
  kind: 'Kind',
  name: 'Name',
  protocol: 'Protocol',
  mode: 'Mode',
  transparentproxy: 'TransparentProxy',
  transparent_proxy: 'TransparentProxy',
  mutualtlsmode: 'MutualTLSMode',
  mutual_tls_mode: 'MutualTLSMode',
  meshgateway: 'MeshGateway',
  mesh_gateway: 'MeshGateway',
  expose: 'Expose',
  externalsni: 'ExternalSNI',
  external_sni: 'ExternalSNI',
  upstreamconfig: 'UpstreamConfig',
  upstream_config: 'UpstreamConfig',
  destination: 'Destination',
  maxinboundconnections: 'MaxInboundConnections',
  max_inbound_connections: 'MaxInboundConnections',
  localconnecttimeoutms: 'LocalConnectTimeoutMs',
  local_connect_timeout_ms: 'LocalConnectTimeoutMs',
  localrequesttimeoutms: 'LocalRequestTimeoutMs',
  local_request_timeout_ms: 'LocalRequestTimeoutMs',
  balanceinboundconnections: 'BalanceInboundConnections',
  balance_inbound_connections: 'BalanceInboundConnections',
  ratelimits: 'RateLimits',
  rate_limits: 'RateLimits',
  envoyextensions: 'EnvoyExtensions',
  envoy_extensions: 'EnvoyExtensions',
  meta: 'Meta',
  hash: 'Hash',
};

const ENVOY_EXTENSION_FIELDS: Record<string, string> = {
  name: 'Name',
  required: 'Required',
  arguments: 'Arguments',
  consulversion: 'ConsulVersion',
  consul_version: 'ConsulVersion',
  envoyversion: 'EnvoyVersion',
  envoy_version: 'EnvoyVersion',
};

/** Go's `%T` for a decoded JSON value. */
function goTypeOf(v: unknown): string {
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return 'float64';
    default:
      return 'map[string]interface {}';
  }
}

/** Go's `%v` for a decoded JSON value (close enough for error texts). */
function goValue(v: unknown): string {
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object')
    return `map[${Object.keys(v as object)
      .sort()
      .map((k) => `${k}:${goValue((v as Record<string, unknown>)[k])}`)
      .join(' ')}]`;
  return String(v);
}

/** mapstructure's weakly typed string conversion. */
function weakString(v: unknown, field: string, errs: string[]): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  errs.push(
    `'${field}' expected type 'string', got unconvertible type '${goTypeOf(v)}', value: '${goValue(v)}'`,
  );
  return undefined;
}

function weakBool(v: unknown, field: string, errs: string[]): boolean | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    if (v === '') return false;
    if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
    if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
    errs.push(`cannot parse '${field}' as bool: strconv.ParseBool: parsing ${goQuote(v)}: invalid syntax`);
    return undefined;
  }
  errs.push(
    `'${field}' expected type 'bool', got unconvertible type '${goTypeOf(v)}', value: '${goValue(v)}'`,
  );
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Resolve a key the way mapstructure + Consul's `HookTranslateKeys` do: alias, then case-insensitive. */
function canonicalKey(key: string, fields: Record<string, string>): string | undefined {
  return fields[key] ?? fields[key.toLowerCase()];
}

/**
 * Decode a config entry body like `structs.DecodeConfigEntry` (errors are its texts; the HTTP layer
 * prefixes "Request decoding failed: "). `service-defaults` is decoded field by field; other kinds
 * are kept as sent.
 */
export function decodeConfigEntry(raw: unknown, enterprise: boolean): ConfigEntry {
  if (!isObject(raw)) throw new ConsulError('Payload does not contain a kind/Kind key at the top level', 400);
  const kindVal = 'Kind' in raw ? raw.Kind : raw.kind;
  if (!('Kind' in raw) && !('kind' in raw))
    throw new ConsulError('Payload does not contain a kind/Kind key at the top level', 400);
  if (typeof kindVal !== 'string') throw new ConsulError('Kind value in payload is not a string', 400);
  try {
    makeConfigEntryCheck(kindVal);
  } catch (e) {
    throw new ConsulError((e as Error).message, 400);
  }
  if (kindVal !== 'service-defaults') {
    const entry: ConfigEntry = {
      ...raw,
      Kind: kindVal,
      Name: typeof raw.Name === 'string' ? raw.Name : '',
      CreateIndex: 0,
      ModifyIndex: 0,
    };
    delete entry.kind;
    return entry;
  }
  const decodeErrs: string[] = [];
  const unused: string[] = [];
  const entry: ConfigEntry = {
    Kind: 'service-defaults',
    Name: '',
    Protocol: '',
    CreateIndex: 0,
    ModifyIndex: 0,
  };
  for (const [key, value] of Object.entries(raw)) {
    let field = canonicalKey(key, SERVICE_DEFAULTS_FIELDS);
    if (enterprise && (key.toLowerCase() === 'namespace' || key.toLowerCase() === 'partition'))
      field = key.toLowerCase() === 'namespace' ? 'Namespace' : 'Partition';
    if (!field) {
      if (key !== 'CreateIndex' && key !== 'ModifyIndex') unused.push(key);
      continue;
    }
    switch (field) {
      case 'Kind':
        break;
      case 'Name':
      case 'Protocol':
      case 'Mode':
      case 'MutualTLSMode':
      case 'ExternalSNI':
      case 'BalanceInboundConnections':
      case 'Namespace':
      case 'Partition': {
        const s = weakString(value, field, decodeErrs);
        if (s !== undefined) entry[field] = s;
        break;
      }
      case 'Meta': {
        if (value === null) break;
        if (!isObject(value)) {
          decodeErrs.push(
            `'Meta' expected a map, got '${goTypeOf(value).replace('[]interface {}', 'slice')}'`,
          );
          break;
        }
        const meta: StringMap = {};
        for (const [mk, mv] of Object.entries(value)) {
          const s = weakString(mv, `Meta[${mk}]`, decodeErrs);
          if (s !== undefined) meta[mk] = s;
        }
        entry.Meta = meta;
        break;
      }
      case 'EnvoyExtensions': {
        if (value === null) break;
        const list = Array.isArray(value) ? value : [value]; // HookWeakDecodeFromSlice / weak input
        entry.EnvoyExtensions = list.map((item, i) => decodeEnvoyExtension(item, i, decodeErrs, unused));
        break;
      }
      default:
        entry[field] = value;
    }
  }
  if (decodeErrs.length) {
    throw new ConsulError(
      `${decodeErrs.length} error(s) decoding:\n\n${decodeErrs
        .map((e) => `* ${e}`)
        .sort()
        .join('\n')}`,
      400,
    );
  }
  const unusedErrs: string[] = [];
  for (const k of unused) {
    if (k === 'kind' || k === 'Kind') continue;
    if (k.toLowerCase().endsWith('namespace'))
      unusedErrs.push(`invalid config key ${goQuote(k)}, namespaces are a consul enterprise feature`);
    else if (k.toLowerCase().includes('jwt'))
      unusedErrs.push(
        `invalid config key ${goQuote(k)}, api-gateway jwt validation is a consul enterprise feature`,
      );
    else unusedErrs.push(`invalid config key ${goQuote(k)}`);
  }
  if (unusedErrs.length) throw new ConsulError(multiError(unusedErrs), 400);
  return entry;
}

function decodeEnvoyExtension(item: unknown, i: number, errs: string[], unused: string[]): EnvoyExtension {
  const ext: EnvoyExtension = {
    Name: '',
    Required: false,
    Arguments: null,
    ConsulVersion: '',
    EnvoyVersion: '',
  };
  const at = `EnvoyExtensions[${i}]`;
  if (!isObject(item)) {
    errs.push(`'${at}' expected a map, got '${goTypeOf(item)}'`);
    return ext;
  }
  for (const [key, value] of Object.entries(item)) {
    const field = canonicalKey(key, ENVOY_EXTENSION_FIELDS);
    if (!field) {
      unused.push(`${at}.${key}`);
      continue;
    }
    if (field === 'Required') {
      const b = weakBool(value, `${at}.Required`, errs);
      if (b !== undefined) ext.Required = b;
    } else if (field === 'Arguments') {
      if (value === null) continue;
      if (!isObject(value)) errs.push(`'${at}.Arguments' expected a map, got '${goTypeOf(value)}'`);
      else ext.Arguments = value;
    } else {
      const s = weakString(value, `${at}.${field}`, errs);
      if (s !== undefined) ext[field as 'Name' | 'ConsulVersion' | 'EnvoyVersion'] = s;
    }
  }
  return ext;
}

/** The built-in Envoy extensions (`envoyextensions.extensionConstructors`). */
const BUILTIN_EXTENSIONS = [
  'builtin/otel-access-logging',
  'builtin/lua',
  'builtin/aws/lambda',
  'builtin/property-override',
  'builtin/wasm',
  'builtin/ext-authz',
];

/** hashicorp/go-version constraint syntax (enough to reject garbage like Consul does). */
const CONSTRAINT =
  /^\s*(?:(?:=|!=|>|<|>=|<=|~>)?\s*v?\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?\s*)(?:,\s*(?:=|!=|>|<|>=|<=|~>)?\s*v?\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?\s*)*$/;

/** What Consul's `builtin/aws/lambda` extension makes of an entry (its `fromArguments` + runtime). */
export interface LambdaExtensionView {
  required: boolean;
  arn: string;
  payloadPassthrough: boolean;
  /** The string the extension stored, as sent. */
  invocationModeRaw: string;
  /** What Envoy is configured with: only exactly "asynchronous" selects ASYNCHRONOUS. */
  invocationMode: 'SYNCHRONOUS' | 'ASYNCHRONOUS';
}

/** mapstructure (no weak typing): exact key first, then a case-insensitive match. */
function mapstructureLookup(args: Record<string, unknown>, field: string): unknown {
  if (field in args) return args[field];
  const key = Object.keys(args).find((k) => k.toLowerCase() === field.toLowerCase());
  return key === undefined ? undefined : args[key];
}

/**
 * Decode `builtin/aws/lambda` Arguments like the extension's constructor does
 * (`mapstructure.Decode` into ARN / PayloadPassthrough / InvocationMode, then "ARN is required").
 * Returns the error texts (empty when valid) and the view.
 */
export function decodeLambdaArguments(args: Record<string, unknown> | null): {
  errors: string[];
  view: Omit<LambdaExtensionView, 'required'>;
} {
  const a = args ?? {};
  const decodeErrs: string[] = [];
  const read = (field: string, type: 'string' | 'boolean'): unknown => {
    const v = mapstructureLookup(a, field);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== type) {
      decodeErrs.push(
        `'${field}' expected type '${type === 'boolean' ? 'bool' : 'string'}', got unconvertible type '${goTypeOf(v)}', value: '${goValue(v)}'`,
      );
      return undefined;
    }
    return v;
  };
  const arn = (read('ARN', 'string') as string | undefined) ?? '';
  const payloadPassthrough = (read('PayloadPassthrough', 'boolean') as boolean | undefined) ?? false;
  const mode = (read('InvocationMode', 'string') as string | undefined) ?? '';
  const view = {
    arn,
    payloadPassthrough,
    invocationModeRaw: mode,
    invocationMode: mode === 'asynchronous' ? ('ASYNCHRONOUS' as const) : ('SYNCHRONOUS' as const),
  };
  if (decodeErrs.length) {
    return {
      errors: [
        `error decoding extension arguments: ${decodeErrs.length} error(s) decoding:\n\n${decodeErrs
          .map((e) => `* ${e}`)
          .sort()
          .join('\n')}`,
      ],
      view,
    };
  }
  // awsLambda.validate collects into a go-multierror, whose text then gets wrapped.
  return { errors: arn === '' ? [multiError(['ARN is required'])] : [], view };
}

/**
 * How Consul's `builtin/aws/lambda` Envoy extension interprets a (stored) service-defaults entry, or
 * `undefined` when it has no such extension. Uppercase `ASYNCHRONOUS` (what the original registrator
 * sends) comes out as SYNCHRONOUS: the extension compares with lower-case "asynchronous" only.
 */
export function lambdaExtensionOf(
  entry: Pick<ConfigEntry, 'EnvoyExtensions'>,
): LambdaExtensionView | undefined {
  const ext = entry.EnvoyExtensions?.find((e) => e.Name === 'builtin/aws/lambda');
  if (!ext) return undefined;
  return { required: ext.Required, ...decodeLambdaArguments(ext.Arguments).view };
}

/** `envoyextensions.ValidateExtensions`: error texts, each already prefixed like Consul's. */
function validateExtensions(exts: EnvoyExtension[]): string[] {
  const out: string[] = [];
  exts.forEach((ext, i) => {
    if (ext.Name === '') {
      out.push(`invalid EnvoyExtensions[${i}]: Name is required`);
      return;
    }
    if (ext.EnvoyVersion !== '' && !CONSTRAINT.test(ext.EnvoyVersion)) {
      out.push(`invalid EnvoyExtensions[${i}].EnvoyVersion: Malformed constraint: ${ext.EnvoyVersion}`);
      return;
    }
    if (ext.ConsulVersion !== '' && !CONSTRAINT.test(ext.ConsulVersion)) {
      out.push(`invalid EnvoyExtensions[${i}].ConsulVersion: Malformed constraint: ${ext.ConsulVersion}`);
      return;
    }
    if (!BUILTIN_EXTENSIONS.includes(ext.Name)) {
      out.push(
        `invalid EnvoyExtensions[${i}][${ext.Name}]: name ${goQuote(ext.Name)} is not a built-in extension`,
      );
      return;
    }
    if (ext.Name === 'builtin/aws/lambda') {
      const { errors } = decodeLambdaArguments(ext.Arguments);
      if (errors.length) out.push(`invalid EnvoyExtensions[${i}][${ext.Name}]: ${errors[0]}`);
    }
  });
  return out;
}

/** `ServiceConfigEntry.Normalize` + `Validate` (the parts that apply to what is stored here). */
export function normalizeAndValidate(entry: ConfigEntry): void {
  if (entry.Kind !== 'service-defaults') {
    if (entry.Kind === 'proxy-defaults') entry.Name = 'global';
    if (entry.Kind === 'mesh') entry.Name = 'mesh';
    if (entry.Name === '') throw new ConsulError('Name is required');
    return;
  }
  entry.Protocol = (entry.Protocol ?? '').toLowerCase();
  if (entry.Name === '') throw new ConsulError('Name is required');
  if (entry.Name === '*')
    throw new ConsulError('service-defaults name must be the name of a service, and not a wildcard');
  const errs: string[] = [];
  const meta = entry.Meta ?? {};
  if (Object.keys(meta).length > 64) errs.push('Meta exceeds maximum element count 64');
  for (const [k, v] of Object.entries(meta)) {
    if (k.length > 128) errs.push(`Meta key ${goQuote(k)} exceeds maximum length 128`);
    if (v.length > 512) errs.push(`Meta value for key ${goQuote(k)} exceeds maximum length 512`);
  }
  const balance = entry.BalanceInboundConnections;
  if (balance !== undefined && balance !== '' && balance !== 'exact_balance')
    errs.push(`invalid value for balance_inbound_connections: ${String(balance)}`);
  errs.push(...validateExtensions(entry.EnvoyExtensions ?? []));
  const mtls = entry.MutualTLSMode;
  if (mtls !== undefined && mtls !== '' && mtls !== 'strict' && mtls !== 'permissive')
    throw new ConsulError(
      `Invalid MutualTLSMode ${goQuote(String(mtls))}. Must be one of "", "strict", or "permissive".`,
    );
  if (errs.length) throw new ConsulError(multiError(errs));
}

/** A shallow copy without the given keys. */
function without(entry: ConfigEntry, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([k]) => !keys.includes(k)));
}

/** FNV-1a 64 over the entry's content: stands in for `hashstructure` (the value differs from Consul's). */
function entryHash(entry: ConfigEntry): number {
  const rest = without(entry, ['CreateIndex', 'ModifyIndex', 'Hash']);
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(JSON.stringify(rest))) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return Number(h >> 11n); // keep it a safe JSON integer
}

// ---------------------------------------------------------------------------------------------
// Registration request (structs.RegisterRequest) as the emulator consumes it
// ---------------------------------------------------------------------------------------------

export interface RegisterService {
  ID?: string;
  Service?: string;
  Kind?: string;
  Tags?: string[] | null;
  Address?: string;
  Meta?: StringMap | null;
  Port?: number;
  EnableTagOverride?: boolean;
  Namespace?: string;
  Partition?: string;
}

export interface RegisterRequest {
  ID?: string;
  Node?: string;
  Address?: string;
  TaggedAddresses?: StringMap | null;
  NodeMeta?: StringMap | null;
  Service?: RegisterService | null;
  SkipNodeUpdate?: boolean;
  Namespace?: string;
  Partition?: string;
}

export interface DeregisterRequest {
  Node?: string;
  ServiceID?: string;
  CheckID?: string;
  Namespace?: string;
  Partition?: string;
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// ---------------------------------------------------------------------------------------------
// The state
// ---------------------------------------------------------------------------------------------

export interface ConsulStateOptions {
  enterprise?: boolean;
  /** Datacenters besides the primary `dc1`. */
  datacenters?: string[];
  /** Admin partitions besides `default` (Enterprise). */
  partitions?: string[];
  /** Management token; setting it (or `aclTokens`) enables ACLs with default policy deny. */
  aclToken?: string;
  /** Further tokens with rules. */
  aclTokens?: Array<{ secretId: string; accessorId?: string; rules: AclRules }>;
  leafTtlMs?: number;
  /** Cluster peerings this cluster has established (GET /v1/peerings lists them). */
  peerings?: Array<{ name: string; peerServerName: string; state?: PeeringState; partition?: string }>;
}

export type PeeringState = 'PENDING' | 'ESTABLISHING' | 'ACTIVE' | 'FAILING' | 'DELETING' | 'TERMINATED';

/** What `GET /v1/peerings` answers per peering (the fields of api.Peering the emulator keeps). */
export interface PeeringRecord {
  ID: string;
  Name: string;
  Partition?: string;
  State: PeeringState;
  PeerID: string;
  /** SNI of the peer's servers, `server.<dc>.peering.<trust domain>`. */
  PeerServerName: string;
  PeerServerAddresses: string[];
}

export const PRIMARY_DC = 'dc1';

export class ConsulState {
  readonly enterprise: boolean;
  readonly clock = new Clock();
  readonly ca: ConnectCA;
  readonly dcs = new Map<string, DatacenterState>();
  /** Config entries live in the primary and are replicated everywhere (one shared map here). */
  readonly configEntries = new Map<string, ConfigEntry>();
  configIndex = 0;
  /** Namespaces per partition (replicated from the primary). */
  readonly namespaces = new Map<string, Map<string, NamespaceRecord>>();
  namespacesIndex = 0;
  readonly partitions: string[];
  readonly aclEnabled: boolean;
  readonly peerings: PeeringRecord[];
  private readonly tokens = new Map<string, AclToken>();

  private constructor(options: ConsulStateOptions) {
    this.enterprise = options.enterprise ?? false;
    this.ca = new ConnectCA(this.clock, options.leafTtlMs ?? DEFAULT_LEAF_TTL_MS);
    for (const name of [PRIMARY_DC, ...(options.datacenters ?? [])]) {
      if (!this.dcs.has(name))
        this.dcs.set(name, {
          name,
          index: 0,
          nodes: new Map(),
          services: new Map(),
          nodesIndex: 0,
          servicesIndex: 0,
        });
    }
    this.partitions = [DEFAULT, ...(options.partitions ?? []).filter((p) => p !== DEFAULT)];
    this.aclEnabled = options.aclToken !== undefined || (options.aclTokens?.length ?? 0) > 0;
    this.peerings = (options.peerings ?? []).map((p) => ({
      ID: randomUUID(),
      Name: p.name,
      ...(this.enterprise ? { Partition: p.partition ?? DEFAULT } : {}),
      State: p.state ?? 'ACTIVE',
      PeerID: randomUUID(),
      PeerServerName: p.peerServerName,
      PeerServerAddresses: ['10.0.0.10:8503'],
    }));
    if (options.aclToken !== undefined)
      this.tokens.set(options.aclToken, {
        AccessorID: randomUUID(),
        SecretID: options.aclToken,
        management: true,
      });
    for (const t of options.aclTokens ?? [])
      this.tokens.set(t.secretId, {
        AccessorID: t.accessorId ?? randomUUID(),
        SecretID: t.secretId,
        rules: t.rules,
      });
  }

  static async create(options: ConsulStateOptions = {}): Promise<ConsulState> {
    const state = new ConsulState(options);
    const primary = state.dc(PRIMARY_DC);
    // Boot writes: the raft configuration, the CA roots, the default namespace(s).
    primary.index = 1;
    await state.ca.init(state.bump(primary));
    for (const dc of state.dcs.values()) {
      if (dc.name === PRIMARY_DC) continue;
      dc.index = 1;
      dc.intermediate = await state.ca.makeIntermediate();
      state.bump(dc);
    }
    if (state.enterprise) {
      for (const partition of state.partitions) {
        const idx = state.bump(primary);
        state.namespaces.set(
          partition,
          new Map([
            [
              DEFAULT,
              {
                Name: DEFAULT,
                Description: 'Builtin Default Namespace',
                ACLs: { PolicyDefaults: [], RoleDefaults: [] },
                Partition: partition,
                CreateIndex: idx,
                ModifyIndex: idx,
              },
            ],
          ]),
        );
        state.namespacesIndex = idx;
      }
    }
    return state;
  }

  get datacenters(): string[] {
    return [...this.dcs.keys()];
  }

  /** The datacenter, or Consul's `structs.ErrNoDCPath`. */
  dc(name: string): DatacenterState {
    const dc = this.dcs.get(name);
    if (!dc) throw new ConsulError('No path to datacenter');
    return dc;
  }

  /** One raft write in a datacenter: the new index. */
  bump(dc: DatacenterState): number {
    dc.index += 1;
    return dc.index;
  }

  // ------------------------------------------------------------------ ACL

  /** `ResolveToken`: management / rules / anonymous; an unknown secret is "ACL not found". */
  resolveToken(secret: string): Authorizer {
    if (!this.aclEnabled) return ALLOW_ALL;
    if (secret === '')
      return new Authorizer({ AccessorID: ANONYMOUS_ACCESSOR_ID, SecretID: 'anonymous', rules: {} });
    const token = this.tokens.get(secret);
    if (!token) throw new ConsulError('ACL not found', 403);
    return new Authorizer(token);
  }

  // ------------------------------------------------------------------ Enterprise scope

  /** Check partition and namespace exist (Enterprise); CE always answers the default scope. */
  scope(partition: string | undefined, namespace: string | undefined, { namespaced = true } = {}): Scope {
    if (!this.enterprise) return { partition: DEFAULT, namespace: DEFAULT };
    const p = partition || DEFAULT;
    const ns = namespace || DEFAULT;
    if (!this.partitions.includes(p)) throw new ConsulError(`Partition ${goQuote(p)} does not exist`);
    if (namespaced && !this.namespaces.get(p)?.has(ns))
      throw new ConsulError(`Namespace ${goQuote(ns)} does not exist`);
    return { partition: p, namespace: ns };
  }

  // ------------------------------------------------------------------ Catalog

  private nodeKey(partition: string, node: string): string {
    return `${partition}/${node.toLowerCase()}`;
  }

  /** `Catalog.Register` after the HTTP layer: validation, ACL and the state-store write. */
  register(dcName: string, req: RegisterRequest, token: string, scopeIn: Partial<Scope>): void {
    const dc = this.dc(dcName);
    const authz = this.resolveToken(token);
    const scope = this.scope(scopeIn.partition, scopeIn.namespace);
    const nodeName = req.Node ?? '';
    if (nodeName === '') throw new ConsulError('Must provide node');
    if (req.ID) {
      // hashicorp/go-uuid ParseUUID's texts.
      if (req.ID.length !== 36) throw new ConsulError('Bad node ID: uuid string is wrong length');
      if (!UUID_RE.test(req.ID)) throw new ConsulError('Bad node ID: uuid is improperly formatted');
    }
    if ((req.Address ?? '') === '' && !req.SkipNodeUpdate)
      throw new ConsulError('Must provide address if SkipNodeUpdate is not set');
    const svc = req.Service ?? undefined;
    if (svc) {
      if (!svc.ID && svc.Service) svc.ID = svc.Service;
      if (svc.ID && !svc.Service)
        throw new ConsulError('Must provide service name (Service.Service) when service ID is provided');
      if (svc.Address === '0.0.0.0' || svc.Address === '::' || svc.Address === '[::]')
        throw new ConsulError('Invalid service address');
      if (svc.Service !== 'consul') authz.requireService(svc.Service ?? '', 'write');
    }
    const nkey = this.nodeKey(scope.partition, nodeName);
    const existing = dc.nodes.get(nkey);
    // RegisterRequest.ChangesNode: creating the node, or (without SkipNodeUpdate) changing it.
    const changesNode =
      !existing ||
      (!req.SkipNodeUpdate &&
        (existing.Address !== (req.Address ?? '') ||
          existing.Node !== nodeName ||
          (req.ID ?? '') !== existing.ID ||
          JSON.stringify(existing.Meta) !== JSON.stringify(req.NodeMeta ?? null) ||
          JSON.stringify(existing.TaggedAddresses) !== JSON.stringify(req.TaggedAddresses ?? null)));
    if (changesNode) authz.requireNode(nodeName, 'write');
    if (svc && existing) {
      const other = dc.services.get(`${nkey}/${scope.namespace}/${svc.ID}`);
      if (other) authz.requireService(other.Service, 'write');
    }

    const idx = this.bump(dc);
    if (changesNode) {
      dc.nodes.set(nkey, {
        ID: req.ID ?? existing?.ID ?? '',
        Node: nodeName,
        Address: req.Address ?? '',
        Datacenter: dc.name,
        Partition: scope.partition,
        TaggedAddresses: req.TaggedAddresses ?? null,
        Meta: req.NodeMeta ?? null,
        CreateIndex: existing?.CreateIndex ?? idx,
        ModifyIndex: idx,
      });
      dc.nodesIndex = idx;
    }
    if (svc && svc.ID) {
      const skey = `${nkey}/${scope.namespace}/${svc.ID}`;
      const prev = dc.services.get(skey);
      dc.services.set(skey, {
        Node: existing?.Node ?? nodeName,
        Partition: scope.partition,
        Namespace: scope.namespace,
        Kind: svc.Kind ?? '',
        ID: svc.ID,
        Service: svc.Service ?? '',
        Tags: svc.Tags ?? [],
        Address: svc.Address ?? '',
        Meta: svc.Meta ?? null,
        Port: svc.Port ?? 0,
        EnableTagOverride: svc.EnableTagOverride ?? false,
        CreateIndex: prev?.CreateIndex ?? idx,
        ModifyIndex: idx,
      });
      dc.servicesIndex = idx;
    }
  }

  /** `Catalog.Deregister`: a service, or the whole node when no ServiceID/CheckID is given. */
  deregister(dcName: string, req: DeregisterRequest, token: string, scopeIn: Partial<Scope>): void {
    const dc = this.dc(dcName);
    const nodeName = req.Node ?? '';
    if (nodeName === '') throw new ConsulError('Must provide node');
    const authz = this.resolveToken(token);
    const scope = this.scope(scopeIn.partition, scopeIn.namespace);
    const nkey = this.nodeKey(scope.partition, nodeName);
    const svc = req.ServiceID ? dc.services.get(`${nkey}/${scope.namespace}/${req.ServiceID}`) : undefined;
    if (!authz.canNode(nodeName, 'write')) {
      if (req.ServiceID) {
        if (!svc) throw new ConsulError(`Unknown service ID '${req.ServiceID}'`);
        authz.requireService(svc.Service, 'write');
      } else if (req.CheckID) {
        throw new ConsulError(`Unknown check ID '${req.CheckID}'`);
      } else {
        throw authz.denied('node', 'write', nodeName);
      }
    }
    const idx = this.bump(dc);
    if (req.ServiceID) {
      if (svc) {
        dc.services.delete(`${nkey}/${scope.namespace}/${req.ServiceID}`);
        dc.servicesIndex = idx;
      }
    } else if (!req.CheckID) {
      if (dc.nodes.delete(nkey)) dc.nodesIndex = idx;
      for (const key of [...dc.services.keys()]) if (key.startsWith(`${nkey}/`)) dc.services.delete(key);
      dc.servicesIndex = idx;
    }
  }

  /** `Catalog.ListServices`: service name → unique tags, filtered by `service:read`. */
  listServices(
    dcName: string,
    token: string,
    scope: Scope,
  ): { index: number; filtered: boolean; services: Record<string, string[]> } {
    const dc = this.dc(dcName);
    const authz = this.resolveToken(token);
    const out: Record<string, string[]> = {};
    let filtered = false;
    const sorted = [...dc.services.values()].sort((a, b) => a.Service.localeCompare(b.Service));
    for (const s of sorted) {
      if (s.Partition !== scope.partition || s.Namespace !== scope.namespace) continue;
      if (!authz.canService(s.Service, 'read')) {
        filtered = true;
        continue;
      }
      const tags = (out[s.Service] ??= []);
      for (const t of s.Tags) if (!tags.includes(t)) tags.push(t);
    }
    return { index: dc.servicesIndex, filtered, services: out };
  }

  /** `Catalog.ServiceNodes`: the service's instances joined with their nodes. */
  serviceNodes(dcName: string, token: string, scope: Scope, name: string, tags: string[] | undefined) {
    const dc = this.dc(dcName);
    const authz = this.resolveToken(token);
    let filtered = false;
    const out: Record<string, unknown>[] = [];
    for (const s of dc.services.values()) {
      if (s.Service !== name || s.Partition !== scope.partition || s.Namespace !== scope.namespace) continue;
      if (tags && !tags.every((t) => s.Tags.some((st) => st.toLowerCase() === t.toLowerCase()))) continue;
      const node = dc.nodes.get(this.nodeKey(s.Partition, s.Node));
      if (!node) continue;
      if (!authz.canService(s.Service, 'read') || !authz.canNode(node.Node, 'read')) {
        filtered = true;
        continue;
      }
      const row: Record<string, unknown> = {
        ID: node.ID,
        Node: node.Node,
        Address: node.Address,
        Datacenter: dc.name,
        TaggedAddresses: node.TaggedAddresses,
        NodeMeta: node.Meta,
        ServiceKind: s.Kind,
        ServiceID: s.ID,
        ServiceName: s.Service,
        ServiceTags: s.Tags,
        ServiceAddress: s.Address,
        ServiceTaggedAddresses: null,
        ServiceWeights: { Passing: 1, Warning: 1 },
        ServiceMeta: s.Meta,
        ServicePort: s.Port,
        ServiceSocketPath: '',
        ServiceEnableTagOverride: s.EnableTagOverride,
        ServiceProxy: { Mode: '', MeshGateway: {}, Expose: {} },
        ServiceConnect: {},
        ServiceLocality: null,
        CreateIndex: s.CreateIndex,
        ModifyIndex: s.ModifyIndex,
      };
      if (this.enterprise) {
        row.Partition = s.Partition;
        row.Namespace = s.Namespace;
      }
      out.push(row);
    }
    out.sort((a, b) => String(a.Node).localeCompare(String(b.Node)));
    return { index: dc.servicesIndex, filtered, nodes: out };
  }

  /** `Catalog.ListNodes`, filtered by `node:read`. */
  listNodes(dcName: string, token: string, partition: string) {
    const dc = this.dc(dcName);
    const authz = this.resolveToken(token);
    let filtered = false;
    const out: Record<string, unknown>[] = [];
    for (const n of [...dc.nodes.values()].sort((a, b) => a.Node.localeCompare(b.Node))) {
      if (n.Partition !== partition) continue;
      if (!authz.canNode(n.Node, 'read')) {
        filtered = true;
        continue;
      }
      const row: Record<string, unknown> = {
        ID: n.ID,
        Node: n.Node,
        Address: n.Address,
        Datacenter: n.Datacenter,
        TaggedAddresses: n.TaggedAddresses,
        Meta: n.Meta,
        CreateIndex: n.CreateIndex,
        ModifyIndex: n.ModifyIndex,
      };
      if (this.enterprise) row.Partition = n.Partition;
      out.push(row);
    }
    return { index: dc.nodesIndex, filtered, nodes: out };
  }

  // ------------------------------------------------------------------ Config entries

  private entryKey(scope: Scope, kind: string, name: string): string {
    return `${scope.partition}/${scope.namespace}/${kind}/${name}`;
  }

  private entryScope(entry: ConfigEntry, scopeIn: Partial<Scope>): Scope {
    const s = this.scope(scopeIn.partition || entry.Partition, scopeIn.namespace || entry.Namespace);
    if (this.enterprise) {
      entry.Partition = s.partition;
      entry.Namespace = s.namespace;
    }
    return s;
  }

  private canReadEntry(authz: Authorizer, entry: { Kind: string; Name: string }): boolean {
    if (entry.Kind === 'service-defaults') return authz.canService(entry.Name, 'read');
    return authz.canOperator('read') || authz.token.management === true; // mesh:read/operator:read kinds
  }

  private requireWriteEntry(authz: Authorizer, entry: { Kind: string; Name: string }): void {
    if (entry.Kind === 'service-defaults') authz.requireService(entry.Name, 'write');
    else authz.requireOperator('write');
  }

  /**
   * `ConfigEntry.Apply` (writes always go to the primary, whatever `?dc=` says). Returns Consul's
   * boolean reply: false when a CAS index does not match.
   */
  configApply(entry: ConfigEntry, token: string, scopeIn: Partial<Scope>, cas: number | undefined): boolean {
    const authz = this.resolveToken(token);
    const scope = this.entryScope(entry, scopeIn);
    if (!this.enterprise && ENTERPRISE_KINDS.has(entry.Kind))
      throw new ConsulError(`Config entry kind ${goQuote(entry.Kind)} requires Consul Enterprise`);
    normalizeAndValidate(entry);
    this.requireWriteEntry(authz, entry);
    const key = this.entryKey(scope, entry.Kind, entry.Name);
    const existing = this.configEntries.get(key);
    if (entry.Kind === 'service-defaults') entry.Hash = entryHash(entry);
    if (existing && sameEntry(existing, entry)) return true; // shouldSkipUpsertOperation
    if (cas !== undefined) {
      if (!existing && cas !== 0) return false;
      if (existing && existing.ModifyIndex !== cas) return false;
    }
    const idx = this.bump(this.dc(PRIMARY_DC));
    entry.CreateIndex = existing?.CreateIndex ?? idx;
    entry.ModifyIndex = idx;
    this.configEntries.set(key, entry);
    this.configIndex = idx;
    return true;
  }

  configGet(
    dcName: string,
    token: string,
    scopeIn: Partial<Scope>,
    kind: string,
    name: string,
  ): { index: number; entry?: ConfigEntry } {
    this.dc(dcName);
    const authz = this.resolveToken(token);
    makeConfigEntryCheck(kind);
    const scope = this.scope(scopeIn.partition, scopeIn.namespace);
    if (!this.canReadEntry(authz, { Kind: kind, Name: name })) {
      if (kind === 'service-defaults') throw authz.denied('service', 'read', name);
      throw authz.denied('operator', 'read');
    }
    return {
      index: Math.max(1, this.configIndex),
      entry: this.configEntries.get(this.entryKey(scope, kind, name)),
    };
  }

  configList(dcName: string, token: string, scopeIn: Partial<Scope>, kind: string) {
    this.dc(dcName);
    const authz = this.resolveToken(token);
    if (kind !== '' && !CONFIG_ENTRY_KINDS.includes(kind))
      throw new ConsulError(`invalid config entry kind: ${kind}`);
    const scope = this.scope(scopeIn.partition, scopeIn.namespace);
    let filtered = false;
    const entries: ConfigEntry[] = [];
    for (const [key, entry] of [...this.configEntries.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (!key.startsWith(`${scope.partition}/${scope.namespace}/`)) continue;
      if (kind !== '' && entry.Kind !== kind) continue;
      if (!this.canReadEntry(authz, entry)) {
        filtered = true;
        continue;
      }
      entries.push(entry);
    }
    return { index: Math.max(1, this.configIndex), filtered, entries };
  }

  /** `ConfigEntry.Delete`: `deleted` is the CAS outcome (true for plain deletes). */
  configDelete(
    token: string,
    scopeIn: Partial<Scope>,
    kind: string,
    name: string,
    cas: number | undefined,
  ): boolean {
    const authz = this.resolveToken(token);
    const scope = this.scope(scopeIn.partition, scopeIn.namespace);
    const probe: ConfigEntry = { Kind: kind, Name: name, CreateIndex: 0, ModifyIndex: 0 };
    if (kind === 'proxy-defaults') probe.Name = 'global';
    if (kind === 'mesh') probe.Name = 'mesh';
    this.requireWriteEntry(authz, probe);
    const key = this.entryKey(scope, kind, probe.Name);
    const existing = this.configEntries.get(key);
    if (!existing) return true; // shouldSkipOperation: nothing to delete
    if (cas !== undefined && existing.ModifyIndex !== cas) return false;
    this.configEntries.delete(key);
    this.configIndex = this.bump(this.dc(PRIMARY_DC));
    return true;
  }

  // ------------------------------------------------------------------ Namespaces (Enterprise)

  /** `GET /v1/peerings`: peering:read, which operator:read grants. */
  listPeerings(token: string, partition: string | undefined): PeeringRecord[] {
    this.resolveToken(token).requireOperator('read');
    const p = partition || DEFAULT;
    return this.peerings.filter((peering) => !this.enterprise || peering.Partition === p);
  }

  listNamespaces(dcName: string, token: string, partition: string) {
    this.dc(dcName);
    const authz = this.resolveToken(token);
    const p = partition || DEFAULT;
    if (!this.partitions.includes(p)) throw new ConsulError(`Partition ${goQuote(p)} does not exist`);
    let filtered = false;
    const list: NamespaceRecord[] = [];
    for (const ns of [...(this.namespaces.get(p)?.values() ?? [])].sort((a, b) =>
      a.Name.localeCompare(b.Name),
    )) {
      // namespace:read is granted by operator:read or any service/node rule in it; keep it simple.
      if (!authz.canOperator('read') && !authz.token.rules?.service_prefix && !authz.token.rules?.service) {
        filtered = true;
        continue;
      }
      list.push(ns);
    }
    return { index: Math.max(1, this.namespacesIndex), filtered, namespaces: list };
  }

  upsertNamespace(
    token: string,
    body: Record<string, unknown>,
    partitionParam: string | undefined,
  ): NamespaceRecord {
    const authz = this.resolveToken(token);
    const name = typeof body.Name === 'string' ? body.Name : '';
    const partition = partitionParam || (typeof body.Partition === 'string' ? body.Partition : '') || DEFAULT;
    if (!this.partitions.includes(partition))
      throw new ConsulError(`Partition ${goQuote(partition)} does not exist`);
    authz.requireOperator('write');
    if (name === '') throw new ConsulError('Namespace name must be set', 400);
    if (!/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(name))
      throw new ConsulError(`Namespace name ${goQuote(name)} is not a valid DNS hostname label`, 400);
    const map = this.namespaces.get(partition) ?? new Map<string, NamespaceRecord>();
    this.namespaces.set(partition, map);
    const prev = map.get(name);
    const idx = this.bump(this.dc(PRIMARY_DC));
    const acls = isObject(body.ACLs) ? body.ACLs : {};
    const rec: NamespaceRecord = {
      Name: name,
      Description: typeof body.Description === 'string' ? body.Description : '',
      ACLs: {
        PolicyDefaults: Array.isArray(acls.PolicyDefaults) ? acls.PolicyDefaults : [],
        RoleDefaults: Array.isArray(acls.RoleDefaults) ? acls.RoleDefaults : [],
      },
      Partition: partition,
      CreateIndex: prev?.CreateIndex ?? idx,
      ModifyIndex: idx,
    };
    if (isObject(body.Meta)) rec.Meta = body.Meta as StringMap;
    map.set(name, rec);
    this.namespacesIndex = idx;
    return rec;
  }

  // ------------------------------------------------------------------ Connect CA

  roots(dcName: string) {
    const dc = this.dc(dcName);
    return { index: this.ca.rootIndex, body: this.ca.roots(dc) };
  }

  /** The agent's leaf endpoint: `service:write` on the service, cached until its soft expiry. */
  async leaf(dcName: string, token: string, scopeIn: Partial<Scope>, service: string) {
    const dc = this.dc(dcName);
    const authz = this.resolveToken(token);
    const scope = this.scope(scopeIn.partition, scopeIn.namespace);
    authz.requireService(service, 'write');
    return this.ca.leaf(dc, scope, service, this.enterprise, () => this.bump(dc));
  }

  /** Test hook: leaf TTL for certificates issued from now on. */
  setLeafTtl(ms: number): void {
    this.ca.leafTtlMs = ms;
  }
}

/** ServiceConfigEntry's JSON field order; struct-typed fields marshal as `{}` even when empty. */
const SERVICE_DEFAULTS_ORDER: Array<[string, 'always' | 'omitempty' | 'struct']> = [
  ['Kind', 'always'],
  ['Name', 'always'],
  ['Protocol', 'always'],
  ['Mode', 'omitempty'],
  ['TransparentProxy', 'struct'],
  ['MutualTLSMode', 'omitempty'],
  ['MeshGateway', 'struct'],
  ['Expose', 'struct'],
  ['ExternalSNI', 'omitempty'],
  ['UpstreamConfig', 'omitempty'],
  ['Destination', 'omitempty'],
  ['MaxInboundConnections', 'omitempty'],
  ['LocalConnectTimeoutMs', 'omitempty'],
  ['LocalRequestTimeoutMs', 'omitempty'],
  ['BalanceInboundConnections', 'omitempty'],
  ['RateLimits', 'omitempty'],
  ['EnvoyExtensions', 'omitempty'],
  ['Meta', 'omitempty'],
  ['Hash', 'omitempty'],
  ['Partition', 'omitempty'],
  ['Namespace', 'omitempty'],
  ['CreateIndex', 'always'],
  ['ModifyIndex', 'always'],
];

/** A config entry as Consul's HTTP API marshals it. */
export function renderConfigEntry(entry: ConfigEntry): Record<string, unknown> {
  if (entry.Kind !== 'service-defaults') return { ...entry };
  const out: Record<string, unknown> = {};
  for (const [field, rule] of SERVICE_DEFAULTS_ORDER) {
    const v = entry[field];
    if (rule === 'struct') out[field] = isObject(v) ? v : {};
    else if (rule === 'always') out[field] = v ?? (field === 'Protocol' ? '' : v);
    else if (
      v !== undefined &&
      v !== null &&
      v !== '' &&
      v !== 0 &&
      !(Array.isArray(v) && v.length === 0) &&
      !(isObject(v) && Object.keys(v).length === 0 && field === 'Meta')
    )
      out[field] = v;
  }
  return out;
}

/** JSON with object keys sorted at every level. */
function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

function sameEntry(a: ConfigEntry, b: ConfigEntry): boolean {
  const strip = (e: ConfigEntry) => {
    return stableStringify(without(e, ['CreateIndex', 'ModifyIndex']));
  };
  return strip(a) === strip(b);
}
