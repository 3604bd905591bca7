/**
 * The shape of the configuration file, as a JSON Schema (draft-07, ajv's
 * default; validated in config-validate.ts). docs/configuration.md
 * documents every key of it (config-doc.test.ts checks that both agree).
 *
 * Besides the standard keywords, each node may carry annotations that the
 * messages are made of (config-validate.ts):
 * - `x-expected`: what the value should be, as in "(expected a list of NFs)";
 *   a mapping without one is "a mapping with the keys ...".
 * - `x-missing`: what a required key should be, when it differs from x-expected.
 * - `x-messages`: the message for a failed keyword (`type`, `enum`, `pattern`,
 *   `not`, `maxItems`) or, as `default`, for any failed keyword of the node;
 *   `{value}` is the value as messages show it, `{count}` a list's length,
 *   `{enumHint}` a spelling that differs only in case, or the allowed values.
 * - `x-unit`: `duration`, `duration-ms-s-m` or `size`: a number or a string
 *   with a unit, whose syntax and range config-domain.ts checks (JSON Schema
 *   cannot compare "15m" with "6h").
 * - `x-check-order`: the order problems with a mapping's keys are reported
 *   in, where it differs from the order of `properties` (which messages list).
 *
 * What a schema cannot say (addresses, uniqueness across NFs, port clashes
 * between protocols, the order of history tiers, files that must exist) is
 * checked in config-domain.ts.
 */

/** The NF types an NF may declare (exact spelling, case-sensitive). */
export const NF_TYPES: readonly string[] = Object.freeze([
  'AMF',
  'SMF',
  'UPF',
  'NRF',
  'AUSF',
  'UDM',
  'UDR',
  'PCF',
  'NSSF',
  'BSF',
  'NEF',
  'CHF',
  'SCP',
  'SEPP',
  'NWDAF',
  'SMSF',
  'LMF',
  'N3IWF',
  'gNB',
  'DN',
]);

export const PROTOCOLS = ['pfcp', 'gtpu', 'sbi', 'ngap'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const DEFAULT_PORTS: Readonly<Record<Protocol, readonly number[]>> = {
  pfcp: [8805],
  gtpu: [2152],
  sbi: [7777, 8000, 8080, 80],
  ngap: [38412],
};

/** Default `le` bounds (seconds) of nfscope_request_duration_seconds: 100 µs to 60 s. */
export const DEFAULT_DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const DEFAULT_PIN_DIR = '/sys/fs/bpf/nfscope';
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 10;
export const DEFAULT_PEERS_TIMEOUT_SECONDS = 2;

/** Reserved: the NF that addresses belonging to no configured NF are reported as. */
export const RESERVED_NF_NAME = 'unknown';

/**
 * A drop reason as nfscope labels it: the kernel's name without the
 * SKB_DROP_REASON_ prefix (OTHERHOST), optionally with the kernel function of
 * an unspecified drop (NOT_SPECIFIED@udp_destruct_common).
 */
export const DROP_REASON_PATTERN = /^[A-Z][A-Z0-9_]*(@[A-Za-z_][A-Za-z0-9_.]*)?$/;

export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: false;
  items?: SchemaNode;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  enum?: readonly (string | number)[];
  not?: { const: string };
  default?: unknown;
  'x-expected'?: string;
  'x-missing'?: string;
  'x-messages'?: Partial<Record<'type' | 'enum' | 'pattern' | 'not' | 'maxItems' | 'default', string>>;
  'x-unit'?: 'duration' | 'duration-ms-s-m' | 'size';
  'x-check-order'?: string[];
}

/** A mapping whose keys are exactly `properties` (unknown keys are errors). */
function mapping(properties: Record<string, SchemaNode>, extra: Omit<SchemaNode, 'type' | 'properties'> = {}): SchemaNode {
  return { type: 'object', properties, additionalProperties: false, ...extra };
}

const nodeName: SchemaNode = {
  type: 'string',
  pattern: '^[A-Za-z0-9._-]{1,253}$',
  'x-expected': 'a node name',
  'x-messages': {
    pattern: '{value} is not a valid node name (expected 1 to 253 characters from A-Z, a-z, 0-9, ".", "_", "-")',
  },
};

const ports: SchemaNode = mapping(
  {
    ports: {
      type: 'array',
      minItems: 1,
      'x-expected': 'a list of port numbers',
      items: {
        type: 'integer',
        minimum: 1,
        maximum: 65535,
        'x-messages': { default: '{value} is not a port number (expected an integer from 1 to 65535)' },
      },
    },
  },
  { required: ['ports'], 'x-expected': 'a mapping like { ports: [...] }' },
);

const dropReasons: SchemaNode = {
  type: 'array',
  'x-expected': 'a list of drop reasons such as OTHERHOST or NOT_SPECIFIED@udp_destruct_common',
  items: {
    type: 'string',
    // A name with the kernel's SKB_DROP_REASON_ prefix gets its own message (config-domain.ts).
    pattern: `^SKB_DROP_REASON_|${DROP_REASON_PATTERN.source}`,
    'x-expected': 'a drop reason',
    'x-messages': {
      pattern: '{value} is not a drop reason (expected an upper-case kernel name such as OTHERHOST, or NOT_SPECIFIED@function)',
    },
  },
};

export const CONFIG_SCHEMA: SchemaNode = mapping(
  {
    node: nodeName,
    interfaces: {
      type: 'array',
      minItems: 1,
      'x-expected': 'a list of interface name patterns',
      items: { type: 'string', minLength: 1, 'x-expected': 'an interface name or glob pattern' },
    },
    nfs: {
      type: 'array',
      minItems: 1,
      'x-expected': 'a list of NFs',
      items: mapping(
        {
          name: {
            type: 'string',
            pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$',
            not: { const: RESERVED_NF_NAME },
            'x-expected': 'an NF name',
            'x-messages': {
              pattern: '{value} is not a valid NF name' + ' (expected 1 to 63 characters from A-Z, a-z, 0-9, ".", "_", "-", starting with a letter or digit)',
              not: '{value} is reserved for addresses that belong to no configured NF',
            },
          },
          type: {
            type: 'string',
            enum: NF_TYPES,
            'x-expected': 'an NF type',
            'x-missing': `an NF type, one of: ${NF_TYPES.join(', ')}`,
            'x-messages': { enum: '{value} is not a known NF type{enumHint}' },
          },
          addresses: {
            type: 'array',
            minItems: 1,
            'x-expected': 'a list of IP addresses',
            items: { type: 'string', 'x-expected': 'an IP address' },
          },
          node: nodeName,
        },
        { required: ['name', 'type', 'addresses'], 'x-check-order': ['name', 'type', 'node', 'addresses'] },
      ),
    },
    protocols: mapping(Object.fromEntries(PROTOCOLS.map((p) => [p, { ...ports, default: { ports: DEFAULT_PORTS[p] } }]))),
    peers: {
      type: 'array',
      default: [],
      'x-expected': 'a list of peer exporters',
      items: { type: 'string', 'x-expected': 'host:port, [IPv6]:port, an http:// or https:// URL, or dns+http://NAME:PORT' },
    },
    request_timeout: { 'x-unit': 'duration-ms-s-m', default: DEFAULT_REQUEST_TIMEOUT_SECONDS },
    duration_buckets: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      default: DEFAULT_DURATION_BUCKETS,
      'x-expected': 'a list of bucket bounds in seconds',
      'x-messages': { maxItems: '{count} bounds is too many (at most 64)' },
      items: {
        type: 'number',
        minimum: 0.000001,
        maximum: 137,
        'x-messages': { default: '{value} is not a bound in seconds (expected a number from 0.000001 to 137)' },
      },
    },
    program_stats: { type: 'boolean', default: false, 'x-messages': { type: '{value} is not true or false' } },
    history: mapping({
      tiers: {
        type: 'array',
        minItems: 1,
        maxItems: 8,
        'x-expected': 'a list of { resolution, retention }',
        'x-messages': { maxItems: '{count} tiers is too many (at most 8)' },
        items: mapping(
          {
            resolution: { 'x-unit': 'duration', 'x-missing': 'a duration like "10s"' },
            retention: { 'x-unit': 'duration', 'x-missing': 'a duration like "6h"' },
            buckets_per_octave: { enum: [1, 2, 4, 8, 16], 'x-messages': { enum: '{value} is not 1, 2, 4, 8 or 16' } },
          },
          { required: ['resolution', 'retention'], 'x-expected': 'a mapping like { resolution: 10s, retention: 6h }' },
        ),
      },
      memory_limit: { 'x-unit': 'size' },
      max_series: {
        type: 'integer',
        minimum: 1,
        maximum: 1_000_000,
        'x-messages': { default: '{value} is not a series count (expected an integer from 1 to 1000000)' },
      },
      state_file: { type: 'string', minLength: 1, 'x-expected': 'the path of a file to save the history in' },
    }),
    peers_timeout: { 'x-unit': 'duration', default: DEFAULT_PEERS_TIMEOUT_SECONDS },
    api: mapping({
      token_file: { type: 'string', 'x-expected': 'the path of the token file' },
      tls: mapping(
        {
          cert: {
            type: 'string',
            'x-expected': 'the path of the certificate',
            'x-missing': 'the path of a PEM certificate (chain)',
          },
          key: { type: 'string', 'x-expected': 'the path of the private key', 'x-missing': 'the path of its PEM private key' },
        },
        { required: ['cert', 'key'], 'x-expected': 'a mapping like { cert: FILE, key: FILE }' },
      ),
    }),
    datapath: mapping({
      pin_dir: {
        type: 'string',
        // absolute, and no ".." component
        pattern: '^(?![\\s\\S]*(?:^|/)\\.\\.(?:/|$))/',
        default: DEFAULT_PIN_DIR,
        'x-expected': 'a directory on a bpf file system',
        'x-messages': { pattern: `{value} is not an absolute path without ".." (example: ${DEFAULT_PIN_DIR})` },
      },
      on_exit: { enum: ['keep', 'detach'], default: 'keep', 'x-messages': { enum: '{value} is neither "keep" nor "detach"' } },
    }),
    drops: mapping({ benign_reasons: dropReasons, loss_reasons: dropReasons }),
  },
  { required: ['interfaces', 'nfs'] },
);
