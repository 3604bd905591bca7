import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalAddress,
  ConfigError,
  ConfigProblem,
  DEFAULT_DURATION_BUCKETS,
  loadConfig,
  matchInterface,
  NF_TYPES,
  parseConfig,
} from './config';

/** A full configuration file, in the shape docs/configuration.md shows. */
const EXAMPLE = `
node: worker-1                 # optional; default: hostname
interfaces: ["nfs-*", "eth0"]  # glob patterns; tc ingress+egress on each match,
                               # interfaces that appear later are attached too
nfs:                           # which addresses belong to which NF
  - name: smf-1
    type: SMF                  # AMF SMF UPF NRF AUSF UDM UDR PCF NSSF BSF NEF CHF SCP gNB DN …
    addresses: ["198.18.0.10", "2001:db8::10"]
  - name: upf-1
    type: UPF
    addresses: ["198.18.0.20", "198.18.1.20"]
    node: worker-2             # optional: the node that hosts this NF (see "Vantage")
protocols:                     # optional; defaults shown
  pfcp: { ports: [8805] }
  gtpu: { ports: [2152] }
  sbi:  { ports: [7777, 8000, 8080, 80] }
  ngap: { ports: [38412] }
peers: []                      # other exporters, for cluster-wide queries
`;

/** The smallest valid file; tests add or replace top-level keys. */
const MINIMAL_NFS = `
nfs:
  - name: smf-1
    type: SMF
    addresses: ["198.18.0.10"]
`;
const minimal = (extra: string): string => `interfaces: [eth0]\n${MINIMAL_NFS}${extra}`;

/** The problems parseConfig reports for `text` (failing the test if it reports none). */
function problemsOf(text: string): ConfigProblem[] {
  try {
    parseConfig(text, 'config.yaml', { hostname: 'test-host' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

/** Asserts that `text` yields exactly one problem, at `path`, whose message matches. */
function expectProblem(text: string, path: string, message: string | RegExp): void {
  const problems = problemsOf(text);
  expect(problems).toHaveLength(1);
  expect(problems[0].path).toBe(path);
  if (typeof message === 'string') expect(problems[0].message).toBe(message);
  else expect(problems[0].message).toMatch(message);
}

describe('parseConfig: valid files', () => {
  test('a full configuration file (docs/configuration.md)', () => {
    expect(parseConfig(EXAMPLE, 'config.yaml', { hostname: 'ignored' })).toEqual({
      node: 'worker-1',
      interfaces: ['nfs-*', 'eth0'],
      nfs: [
        { name: 'smf-1', type: 'SMF', addresses: ['198.18.0.10', '2001:db8::10'] },
        { name: 'upf-1', type: 'UPF', addresses: ['198.18.0.20', '198.18.1.20'], node: 'worker-2' },
      ],
      protocols: { pfcp: [8805], gtpu: [2152], sbi: [7777, 8000, 8080, 80], ngap: [38412] },
      peers: [],
      requestTimeoutSeconds: 10,
      durationBuckets: DEFAULT_DURATION_BUCKETS,
      programStats: false,
      datapath: { pinDir: '/sys/fs/bpf/nfscope', onExit: 'keep' },
      drops: { benignReasons: [], lossReasons: [] },
    });
  });

  test('defaults: node from opts.hostname, protocols, peers, request timeout', () => {
    const config = parseConfig(minimal(''), 'config.yaml', { hostname: 'test-host' });
    expect(config).toEqual({
      node: 'test-host',
      interfaces: ['eth0'],
      nfs: [{ name: 'smf-1', type: 'SMF', addresses: ['198.18.0.10'] }],
      protocols: { pfcp: [8805], gtpu: [2152], sbi: [7777, 8000, 8080, 80], ngap: [38412] },
      peers: [],
      requestTimeoutSeconds: 10,
      durationBuckets: DEFAULT_DURATION_BUCKETS,
      programStats: false,
      datapath: { pinDir: '/sys/fs/bpf/nfscope', onExit: 'keep' },
      drops: { benignReasons: [], lossReasons: [] },
    });
    expect(config.nfs[0]).not.toHaveProperty('node');
  });

  test('node defaults to the OS hostname', () => {
    expect(parseConfig(minimal(''), 'config.yaml').node).toBe(hostname());
  });

  test('optional keys with an empty value are treated as absent', () => {
    const config = parseConfig(minimal('node:\nprotocols:\npeers:\nrequest_timeout:\n'), 'c', { hostname: 'h' });
    expect(config.node).toBe('h');
    expect(config.protocols.sbi).toEqual([7777, 8000, 8080, 80]);
    expect(config.peers).toEqual([]);
    expect(config.requestTimeoutSeconds).toBe(10);
  });

  test('every NF type is accepted', () => {
    const nfs = NF_TYPES.map((type, i) => `  - { name: nf-${i}, type: ${type}, addresses: ["10.0.0.${i + 1}"] }`);
    const config = parseConfig(`interfaces: [eth0]\nnfs:\n${nfs.join('\n')}\n`, 'c', { hostname: 'h' });
    expect(config.nfs.map((nf) => nf.type)).toEqual([...NF_TYPES]);
    expect(NF_TYPES).toEqual([
      'AMF', 'SMF', 'UPF', 'NRF', 'AUSF', 'UDM', 'UDR', 'PCF', 'NSSF', 'BSF',
      'NEF', 'CHF', 'SCP', 'SEPP', 'NWDAF', 'SMSF', 'LMF', 'N3IWF', 'gNB', 'DN',
    ]);
  });

  test('addresses are canonicalized', () => {
    const config = parseConfig(
      'interfaces: [eth0]\nnfs:\n  - name: upf-1\n    type: UPF\n' +
        '    addresses: ["2001:DB8:0:0::10", "::ffff:198.18.0.20", "fe80:0:0:0:0:0:0:1"]\n',
      'c',
      { hostname: 'h' },
    );
    expect(config.nfs[0].addresses).toEqual(['2001:db8::10', '198.18.0.20', 'fe80::1']);
  });

  test('a protocol key replaces only that protocol\'s defaults', () => {
    const config = parseConfig(minimal('protocols:\n  sbi: { ports: [29500, 29510] }\n  pfcp: { ports: [8806] }\n'), 'c', {
      hostname: 'h',
    });
    expect(config.protocols).toEqual({ pfcp: [8806], gtpu: [2152], sbi: [29500, 29510], ngap: [38412] });
  });

  test('the same port may be used by protocols on different transports', () => {
    const config = parseConfig(
      minimal('protocols:\n  pfcp: { ports: [8805] }\n  sbi: { ports: [8805] }\n  ngap: { ports: [8805] }\n'),
      'c',
      { hostname: 'h' },
    );
    expect(config.protocols).toEqual({ pfcp: [8805], gtpu: [2152], sbi: [8805], ngap: [8805] });
  });

  test('peers are normalized to base URLs', () => {
    const config = parseConfig(
      minimal(
        'peers:\n' +
          '  - worker-2:9400\n' +
          '  - "10.0.0.2:9400"\n' +
          '  - "[2001:DB8::2]:9400"\n' +
          '  - http://Worker-3.example:9400/\n' +
          '  - https://worker-4/nfscope/\n',
      ),
      'c',
      { hostname: 'h' },
    );
    expect(config.peers).toEqual([
      'http://worker-2:9400',
      'http://10.0.0.2:9400',
      'http://[2001:db8::2]:9400',
      'http://worker-3.example:9400',
      'https://worker-4/nfscope',
    ]);
  });

  test.each([
    ['5s', 5],
    ['500ms', 0.5],
    ['2m', 120],
    ['1.5s', 1.5],
    ['10m', 600],
    ['30', 30],
    ['0.25', 0.25],
  ])('request_timeout %s is %d s', (value, seconds) => {
    expect(parseConfig(minimal(`request_timeout: ${value}\n`), 'c', { hostname: 'h' }).requestTimeoutSeconds).toBe(seconds);
  });
});

describe('parseConfig: YAML and document problems', () => {
  test('a syntax error gives the line and column', () => {
    expectProblem(
      'interfaces: [eth0\nnfs: []\n',
      '',
      /^YAML syntax error at line 2, column 1: Flow sequence in block collection must be sufficiently indented/,
    );
  });

  test('all syntax errors are reported', () => {
    const problems = problemsOf('interfaces: [eth0]\ninterfaces: [eth1]\nnfs: "abc\n');
    expect(problems.map((p) => p.message)).toEqual([
      'YAML syntax error at line 2, column 1: Map keys must be unique',
      'YAML syntax error at line 4, column 1: Missing closing "quote',
    ]);
  });

  test('several documents are an error', () => {
    expectProblem(
      'interfaces: [eth0]\n---\nnfs: []\n',
      '',
      /^YAML syntax error at line 2, column 1: Source contains multiple documents/,
    );
  });

  test('an unquoted pattern starting with "*" is an unknown alias, with a hint', () => {
    expectProblem(
      `interfaces: [eth0, *-veth]\n${MINIMAL_NFS}`,
      '',
      'YAML error at line 1, column 20: unknown alias "*-veth" (a value starting with "*" must be quoted, e.g. "*-veth")',
    );
  });

  test('aliases to defined anchors work', () => {
    const config = parseConfig(`interfaces: &ifs [eth0]\n${MINIMAL_NFS}peers: []\n`, 'c', { hostname: 'h' });
    expect(config.interfaces).toEqual(['eth0']);
  });

  test.each([[''], ['# only a comment\n'], ['---\n']])('an empty document (%j) is an error', (text) => {
    expectProblem(text, '', 'the file is empty (expected a mapping with at least "interfaces" and "nfs")');
  });

  test.each([
    ['- eth0', '["eth0"]'],
    ['just a string', '"just a string"'],
    ['42', '42'],
  ])('a top level that is not a mapping (%s) is an error', (text, shown) => {
    expectProblem(
      text,
      '',
      `${shown} is not a mapping (expected a mapping with the keys node, interfaces, nfs, protocols, peers, request_timeout, duration_buckets, program_stats, history, peers_timeout, api, datapath, drops)`,
    );
  });
});

describe('parseConfig: unknown keys', () => {
  test('at the top level, with a suggestion for a near miss', () => {
    expectProblem(
      minimal('nsf: []\n'),
      'nsf',
      'unknown key "nsf" (expected one of: node, interfaces, nfs, protocols, peers, request_timeout, duration_buckets, program_stats, history, peers_timeout, api, datapath, drops); did you mean "nfs"?',
    );
  });

  test('at the top level, without a suggestion when nothing is close', () => {
    expectProblem(
      minimal('metrics_port: 9400\n'),
      'metrics_port',
      'unknown key "metrics_port" (expected one of: node, interfaces, nfs, protocols, peers, request_timeout, duration_buckets, program_stats, history, peers_timeout, api, datapath, drops)',
    );
  });

  test('a key that is not an identifier gets a bracketed path', () => {
    expectProblem(minimal('"my key": 1\n'), '["my key"]', /^unknown key "my key" \(expected one of: /);
  });

  test('in an NF', () => {
    expectProblem(
      'interfaces: [eth0]\nnfs:\n  - { name: smf-1, type: SMF, addresses: ["10.0.0.1"], adresses: [] }\n',
      'nfs[0].adresses',
      'unknown key "adresses" (expected one of: name, type, addresses, node); did you mean "addresses"?',
    );
  });

  test('in protocols', () => {
    expectProblem(
      minimal('protocols:\n  gtp: { ports: [2152] }\n'),
      'protocols.gtp',
      'unknown key "gtp" (expected one of: pfcp, gtpu, sbi, ngap); did you mean "gtpu"?',
    );
  });

  test('in a protocol', () => {
    expect(problemsOf(minimal('protocols:\n  sbi: { port: [80] }\n'))).toEqual([
      { path: 'protocols.sbi.port', message: 'unknown key "port" (expected one of: ports); did you mean "ports"?' },
      { path: 'protocols.sbi.ports', message: 'is missing (expected a list of port numbers)' },
    ]);
  });

  test('a transposition counts as one edit; case is ignored for suggestions', () => {
    expect(problemsOf(minimal('Peers: []\n'))[0].message).toMatch(/; did you mean "peers"\?$/);
    expect(problemsOf(minimal('request_timoeut: 5s\n'))[0].message).toMatch(/; did you mean "request_timeout"\?$/);
  });
});

describe('parseConfig: node', () => {
  test.each([['worker 1'], ['worker/1'], ['']])('%j is not a valid node name', (node) => {
    expectProblem(
      minimal(`node: ${JSON.stringify(node)}\n`),
      'node',
      `${JSON.stringify(node)} is not a valid node name (expected 1 to 253 characters from A-Z, a-z, 0-9, ".", "_", "-")`,
    );
  });

  test('more than 253 characters is too long', () => {
    expectProblem(minimal(`node: ${'a'.repeat(254)}\n`), 'node', /^"a{56}\.\.\. is not a valid node name/);
  });

  test('253 characters is fine', () => {
    expect(parseConfig(minimal(`node: ${'a'.repeat(253)}\n`), 'c').node).toBe('a'.repeat(253));
  });

  test('must be a string', () => {
    expectProblem(minimal('node: [a, b]\n'), 'node', '["a","b"] is not a string (expected a node name)');
  });
});

describe('parseConfig: interfaces', () => {
  const withInterfaces = (value: string): string => `interfaces: ${value}\n${MINIMAL_NFS}`;

  test('is required', () => {
    expectProblem(MINIMAL_NFS, 'interfaces', 'is missing (expected a list of interface name patterns)');
  });

  test('must be a list', () => {
    expectProblem(
      withInterfaces('eth0'),
      'interfaces',
      '"eth0" is not a list (expected a list of interface name patterns)',
    );
  });

  test('must not be empty', () => {
    expectProblem(
      withInterfaces('[]'),
      'interfaces',
      '[] is empty (expected a list of interface name patterns with at least one entry)',
    );
  });

  test('entries must be non-empty strings', () => {
    const problems = problemsOf(withInterfaces('[eth0, "", 7, {a: 1}]'));
    expect(problems).toEqual([
      { path: 'interfaces[1]', message: '"" is empty (expected an interface name or glob pattern)' },
      { path: 'interfaces[2]', message: '7 is not a string (expected an interface name or glob pattern)' },
      { path: 'interfaces[3]', message: '{"a":1} is not a string (expected an interface name or glob pattern)' },
    ]);
  });

  test.each([
    ['eth 0', '" "'],
    ['eth0:1', '":"'],
    ['a/b', '"/"'],
    ['eth\t0', '"\\t"'],
    ['ethé', '"é"'],
  ])('%j has a character that cannot be in an interface name', (pattern, char) => {
    expectProblem(
      withInterfaces(`[${JSON.stringify(pattern)}]`),
      'interfaces[0]',
      `${JSON.stringify(pattern)} contains ${char}, which cannot appear in an interface name`,
    );
  });

  test('a bracket expression must be closed', () => {
    expectProblem(
      withInterfaces('["eth[0-9"]'),
      'interfaces[0]',
      '"eth[0-9" has a "[" without a closing "]" (expected a bracket expression like [0-9])',
    );
  });

  test('a name without glob characters is at most 15 characters', () => {
    expect(parseConfig(withInterfaces('[abcdefghijklmno]'), 'c').interfaces).toEqual(['abcdefghijklmno']);
    expectProblem(
      withInterfaces('[abcdefghijklmnop]'),
      'interfaces[0]',
      '"abcdefghijklmnop" can never match: it needs at least 16 characters and interface names have at most 15',
    );
  });

  test('a pattern that needs more than 15 characters can never match', () => {
    expect(parseConfig(withInterfaces('["abcdefghijklmn*", "[ab]bcdefghijklmn?"]'), 'c').interfaces).toHaveLength(2);
    expectProblem(
      withInterfaces('["abcdefghijklmn??*"]'),
      'interfaces[0]',
      '"abcdefghijklmn??*" can never match: it needs at least 16 characters and interface names have at most 15',
    );
  });
});

describe('parseConfig: nfs', () => {
  const withNfs = (nfs: string): string => `interfaces: [eth0]\nnfs:\n${nfs}`;
  const nf = (fields: string): string => `  - { ${fields} }\n`;

  test('is required', () => {
    expectProblem('interfaces: [eth0]\n', 'nfs', 'is missing (expected a list of NFs)');
  });

  test('must not be empty', () => {
    expectProblem('interfaces: [eth0]\nnfs: []\n', 'nfs', '[] is empty (expected a list of NFs with at least one entry)');
  });

  test('must be a list of mappings', () => {
    expectProblem('interfaces: [eth0]\nnfs: { smf-1: SMF }\n', 'nfs', '{"smf-1":"SMF"} is not a list (expected a list of NFs)');
    expectProblem(
      withNfs('  - smf-1\n'),
      'nfs[0]',
      '"smf-1" is not a mapping (expected a mapping with the keys name, type, addresses, node)',
    );
  });

  test('name, type and addresses are required', () => {
    expect(problemsOf(withNfs(nf('node: worker-1')))).toEqual([
      { path: 'nfs[0].name', message: 'is missing (expected an NF name)' },
      { path: 'nfs[0].type', message: `is missing (expected an NF type, one of: ${NF_TYPES.join(', ')})` },
      { path: 'nfs[0].addresses', message: 'is missing (expected a list of IP addresses)' },
    ]);
  });

  test.each([['-smf'], ['smf 1'], ['smf/1'], [''], ['a'.repeat(64)]])('name %j is invalid', (name) => {
    const problems = problemsOf(withNfs(nf(`name: ${JSON.stringify(name)}, type: SMF, addresses: ["10.0.0.1"]`)));
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe('nfs[0].name');
    expect(problems[0].message).toMatch(
      / is not a valid NF name \(expected 1 to 63 characters from A-Z, a-z, 0-9, "\.", "_", "-", starting with a letter or digit\)$/,
    );
  });

  test('a name of 63 characters is fine', () => {
    const name = `a${'.-_9'.repeat(15)}xy`;
    expect(parseConfig(withNfs(nf(`name: "${name}", type: SMF, addresses: ["10.0.0.1"]`)), 'c').nfs[0].name).toBe(name);
  });

  test('the name "unknown" is reserved', () => {
    expectProblem(
      withNfs(nf('name: unknown, type: SMF, addresses: ["10.0.0.1"]')),
      'nfs[0].name',
      '"unknown" is reserved for addresses that belong to no configured NF',
    );
  });

  test('the name must be a string', () => {
    expectProblem(
      withNfs(nf('name: 42, type: SMF, addresses: ["10.0.0.1"]')),
      'nfs[0].name',
      '42 is not a string (expected an NF name)',
    );
  });

  test('duplicate names are reported on the second NF, naming the first', () => {
    expectProblem(
      withNfs(
        nf('name: smf-1, type: SMF, addresses: ["10.0.0.1"]') +
          nf('name: upf-1, type: UPF, addresses: ["10.0.0.2"]') +
          nf('name: smf-1, type: SMF, addresses: ["10.0.0.3"]'),
      ),
      'nfs[2].name',
      '"smf-1" is already the name of nfs[0] (NF names must be unique)',
    );
  });

  test('an unknown type with a case-insensitive match suggests the right spelling', () => {
    expectProblem(
      withNfs(nf('name: gnb-1, type: gnb, addresses: ["10.0.0.1"]')),
      'nfs[0].type',
      '"gnb" is not a known NF type; did you mean "gNB"?',
    );
    expect(problemsOf(withNfs(nf('name: a, type: Smf, addresses: ["10.0.0.1"]')))[0].message).toBe(
      '"Smf" is not a known NF type; did you mean "SMF"?',
    );
  });

  test('an unknown type lists the known ones', () => {
    expectProblem(
      withNfs(nf('name: mme-1, type: MME, addresses: ["10.0.0.1"]')),
      'nfs[0].type',
      `"MME" is not a known NF type (expected one of: ${NF_TYPES.join(', ')})`,
    );
  });

  test('the NF node is validated like the top-level node', () => {
    expectProblem(
      withNfs(nf('name: a, type: SMF, addresses: ["10.0.0.1"], node: "worker 2"')),
      'nfs[0].node',
      '"worker 2" is not a valid node name (expected 1 to 253 characters from A-Z, a-z, 0-9, ".", "_", "-")',
    );
  });

  test('addresses must be a non-empty list', () => {
    expectProblem(
      withNfs(nf('name: a, type: SMF, addresses: 10.0.0.1')),
      'nfs[0].addresses',
      '"10.0.0.1" is not a list (expected a list of IP addresses)',
    );
    expectProblem(
      withNfs(nf('name: a, type: SMF, addresses: []')),
      'nfs[0].addresses',
      '[] is empty (expected a list of IP addresses with at least one entry)',
    );
  });

  test.each([
    ['198.18.0.300'],
    ['198.18.0'],
    ['198.018.0.1'],
    ['smf-1.example'],
    ['2001:db8::g'],
    ['2001:db8::1::2'],
    ['fe80::1%eth0'],
    ['[2001:db8::1]'],
    ['198.18.0.1:8805'],
  ])('%j is not an address', (address) => {
    expectProblem(
      withNfs('  - name: smf-1\n    type: SMF\n' + `    addresses: ["198.18.0.10", ${JSON.stringify(address)}]\n`),
      'nfs[0].addresses[1]',
      `${JSON.stringify(address)} is not an IPv4 or IPv6 address`,
    );
  });

  test('a CIDR prefix is not an address, with a hint', () => {
    expectProblem(
      withNfs(nf('name: a, type: SMF, addresses: ["198.18.0.0/24"]')),
      'nfs[0].addresses[0]',
      '"198.18.0.0/24" is not an IPv4 or IPv6 address (list single addresses, not prefixes)',
    );
  });

  test('an address must be a string', () => {
    expectProblem(
      withNfs(nf('name: a, type: SMF, addresses: [3232235521]')),
      'nfs[0].addresses[0]',
      '3232235521 is not a string (expected an IP address)',
    );
  });

  test('the same address twice in one NF, however written', () => {
    expectProblem(
      withNfs(nf('name: a, type: SMF, addresses: ["2001:db8::10", "10.0.0.1", "2001:DB8:0:0::10"]')),
      'nfs[0].addresses[2]',
      '"2001:DB8:0:0::10" (2001:db8::10) is listed twice (also at nfs[0].addresses[0])',
    );
  });

  test('an address claimed by two NFs names both', () => {
    expectProblem(
      withNfs(
        nf('name: smf-1, type: SMF, addresses: ["198.18.0.10", "2001:db8::10"]') +
          nf('name: upf-1, type: UPF, addresses: ["2001:DB8:0:0::10"]'),
      ),
      'nfs[1].addresses[0]',
      '"2001:DB8:0:0::10" (2001:db8::10) of "upf-1" is already an address of "smf-1" (nfs[0].addresses[1]);' +
        ' an address can belong to only one NF',
    );
  });

  test('an IPv4-mapped IPv6 address is the same as its IPv4 form', () => {
    expectProblem(
      withNfs(
        nf('name: smf-1, type: SMF, addresses: ["198.18.0.10"]') + nf('name: upf-1, type: UPF, addresses: ["::ffff:198.18.0.10"]'),
      ),
      'nfs[1].addresses[0]',
      /^"::ffff:198\.18\.0\.10" \(198\.18\.0\.10\) of "upf-1" is already an address of "smf-1" \(nfs\[0\]\.addresses\[0\]\)/,
    );
  });

  test('an NF with an invalid name is referred to by its index', () => {
    const problems = problemsOf(
      withNfs(nf('name: "bad name", type: SMF, addresses: ["10.0.0.1"]') + nf('name: b, type: UPF, addresses: ["10.0.0.1"]')),
    );
    expect(problems[1]).toEqual({
      path: 'nfs[1].addresses[0]',
      message: '"10.0.0.1" of "b" is already an address of nfs[0] (nfs[0].addresses[0]); an address can belong to only one NF',
    });
  });
});

describe('parseConfig: protocols', () => {
  test('must be a mapping', () => {
    expectProblem(
      minimal('protocols: [pfcp]\n'),
      'protocols',
      '["pfcp"] is not a mapping (expected a mapping with the keys pfcp, gtpu, sbi, ngap)',
    );
  });

  test('each protocol must be a mapping with ports', () => {
    expectProblem(
      minimal('protocols:\n  sbi: [80]\n'),
      'protocols.sbi',
      '[80] is not a mapping (expected a mapping like { ports: [...] })',
    );
    expectProblem(minimal('protocols:\n  sbi: {}\n'), 'protocols.sbi.ports', 'is missing (expected a list of port numbers)');
  });

  test('ports must be a non-empty list', () => {
    expectProblem(
      minimal('protocols:\n  ngap: { ports: 38412 }\n'),
      'protocols.ngap.ports',
      '38412 is not a list (expected a list of port numbers)',
    );
    expectProblem(
      minimal('protocols:\n  ngap: { ports: [] }\n'),
      'protocols.ngap.ports',
      '[] is empty (expected a list of port numbers with at least one entry)',
    );
  });

  test('ports are integers from 1 to 65535', () => {
    expect(problemsOf(minimal('protocols:\n  sbi: { ports: [80, 0, 65536, 80.5, "8080", -1, 65535, 1] }\n'))).toEqual([
      { path: 'protocols.sbi.ports[1]', message: '0 is not a port number (expected an integer from 1 to 65535)' },
      { path: 'protocols.sbi.ports[2]', message: '65536 is not a port number (expected an integer from 1 to 65535)' },
      { path: 'protocols.sbi.ports[3]', message: '80.5 is not a port number (expected an integer from 1 to 65535)' },
      { path: 'protocols.sbi.ports[4]', message: '"8080" is not a port number (expected an integer from 1 to 65535)' },
      { path: 'protocols.sbi.ports[5]', message: '-1 is not a port number (expected an integer from 1 to 65535)' },
    ]);
  });

  test('no duplicate ports within a protocol', () => {
    expectProblem(
      minimal('protocols:\n  sbi: { ports: [7777, 8080, 7777] }\n'),
      'protocols.sbi.ports[2]',
      '7777 is listed twice (also at protocols.sbi.ports[0])',
    );
  });

  test('pfcp and gtpu share UDP: a port in both is an error', () => {
    expectProblem(
      minimal('protocols:\n  pfcp: { ports: [8805, 2153] }\n  gtpu: { ports: [2152, 2153] }\n'),
      'protocols.gtpu.ports[1]',
      '2153 is also a pfcp port; gtpu and pfcp both run over UDP, so a port can belong to only one of them',
    );
  });

  test('a clash with the other protocol\'s default is reported where the port is configured', () => {
    expectProblem(
      minimal('protocols:\n  gtpu: { ports: [8805] }\n'),
      'protocols.gtpu.ports[0]',
      '8805 is also the default pfcp port; gtpu and pfcp both run over UDP, so a port can belong to only one of them',
    );
    expectProblem(
      minimal('protocols:\n  pfcp: { ports: [8805, 2152] }\n'),
      'protocols.pfcp.ports[1]',
      '2152 is also the default gtpu port; pfcp and gtpu both run over UDP, so a port can belong to only one of them',
    );
  });
});

describe('parseConfig: peers', () => {
  test('must be a list', () => {
    expectProblem(
      minimal('peers: worker-2:9400\n'),
      'peers',
      '"worker-2:9400" is not a list (expected a list of peer exporters)',
    );
  });

  test.each([
    ['worker-2'],
    ['worker-2:'],
    ['worker-2:0'],
    ['worker-2:65536'],
    ['worker_2:9400'],
    ['198.18.0.300:9400'],
    ['2001:db8::2:9400'],
    ['[2001:db8::g]:9400'],
    ['ftp://worker-2:9400'],
    ['http://'],
    ['http://user:pw@worker-2:9400'],
    ['worker-2:9400/path'],
  ])('%j is not a peer address', (peer) => {
    expectProblem(
      minimal(`peers: [${JSON.stringify(peer)}]\n`),
      'peers[0]',
      `${JSON.stringify(peer)} is not a peer address (expected host:port, [IPv6]:port, an http:// or https:// URL, or dns+http://NAME:PORT)`,
    );
  });

  test('a peer must be a string', () => {
    expectProblem(
      minimal('peers: [9400]\n'),
      'peers[0]',
      '9400 is not a string (expected host:port, [IPv6]:port, an http:// or https:// URL, or dns+http://NAME:PORT)',
    );
  });

  test('the same peer twice (after normalization) is an error', () => {
    expectProblem(
      minimal('peers: ["worker-2:9400", "http://worker-2:9400/"]\n'),
      'peers[1]',
      '"http://worker-2:9400/" is listed twice (also at peers[0])',
    );
  });
});

describe('parseConfig: request_timeout', () => {
  test.each([['"5"'], ['5 s'], ['5h'], ['s'], ['-5s'], ['true'], ['[5]'], ['.nan']])('%s is not a duration', (value) => {
    const problems = problemsOf(minimal(`request_timeout: ${value}\n`));
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe('request_timeout');
    expect(problems[0].message).toMatch(
      / is not a duration \(expected a number of seconds or a string like "500ms", "5s", "2m"\)$/,
    );
  });

  test('the message names the value', () => {
    expectProblem(
      minimal('request_timeout: "5"\n'),
      'request_timeout',
      '"5" is not a duration (expected a number of seconds or a string like "500ms", "5s", "2m")',
    );
  });

  test.each([['0'], ['0s'], ['-1'], ['601'], ['11m'], ['600001ms'], ['.inf']])('%s is out of range', (value) => {
    const problems = problemsOf(minimal(`request_timeout: ${value}\n`));
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe('request_timeout');
    expect(problems[0].message).toMatch(/ is out of range \(expected more than 0 and at most 600 seconds\)$/);
  });

  test('out-of-range message', () => {
    expectProblem(
      minimal('request_timeout: 11m\n'),
      'request_timeout',
      '"11m" is out of range (expected more than 0 and at most 600 seconds)',
    );
    expectProblem(
      minimal('request_timeout: .inf\n'),
      'request_timeout',
      'Infinity is out of range (expected more than 0 and at most 600 seconds)',
    );
  });
});

describe('parseConfig: reporting', () => {
  test('all problems are reported together, one line each, as source: path: message', () => {
    const text = `
nsf: 1
interfaces: ["eth 0"]
nfs:
  - name: smf-1
    type: gnb
    addresses: ["198.18.0.300"]
  - name: smf-1
    type: UPF
    addresses: ["10.0.0.1"]
protocols:
  gtpu: { ports: [8805] }
peers: ["nope"]
request_timeout: 0s
`;
    let error: unknown;
    try {
      parseConfig(text, 'config.yaml', { hostname: 'h' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(Error);
    const configError = error as ConfigError;
    expect(configError.name).toBe('ConfigError');
    expect(configError.problems.map((p) => p.path)).toEqual([
      'nsf',
      'interfaces[0]',
      'nfs[0].type',
      'nfs[0].addresses[0]',
      'nfs[1].name',
      'protocols.gtpu.ports[0]',
      'peers[0]',
      'request_timeout',
    ]);
    const lines = configError.message.split('\n');
    expect(lines).toHaveLength(8);
    expect(lines).toEqual(configError.problems.map((p) => `config.yaml: ${p.path}: ${p.message}`));
    expect(lines[3]).toBe('config.yaml: nfs[0].addresses[0]: "198.18.0.300" is not an IPv4 or IPv6 address');
  });

  test('a document-level problem has no path in its line', () => {
    expect(() => parseConfig('', 'config.yaml')).toThrow(
      new Error('config.yaml: the file is empty (expected a mapping with at least "interfaces" and "nfs")'),
    );
  });

  test('long values are shortened in messages', () => {
    const problems = problemsOf(minimal(`node: "${'x '.repeat(50)}"\n`));
    // 57 characters of JSON, then "..."
    expect(problems[0].message).toBe(
      `"${'x '.repeat(28)}... is not a valid node name (expected 1 to 253 characters from A-Z, a-z, 0-9, ".", "_", "-")`,
    );
  });
});

describe('matchInterface', () => {
  test.each([
    [['eth0'], 'eth0', true],
    [['eth0'], 'eth01', false],
    [['eth0'], 'Eth0', false],
    [['nfs-*'], 'nfs-smf1', true],
    [['nfs-*'], 'nfs-', true],
    [['nfs-*'], 'nfs', false],
    [['*'], '', true],
    [['*'], 'anything', true],
    [['*-veth'], 'upf-veth', true],
    [['*-veth'], 'upf-veth0', false],
    [['a*b*c'], 'aXbYbc', true],
    [['a*b*c'], 'aXbYbcd', false],
    [['a**c'], 'ac', true],
    [['eth?'], 'eth1', true],
    [['eth?'], 'eth', false],
    [['eth?'], 'eth10', false],
    [['eth[012]'], 'eth2', true],
    [['eth[012]'], 'eth3', false],
    [['eth[0-9]'], 'eth7', true],
    [['eth[0-9]'], 'etha', false],
    [['veth[a-f0-9]*'], 'vethc3d2', true],
    [['eth[!0]'], 'eth1', true],
    [['eth[!0]'], 'eth0', false],
    [['eth[^0]'], 'eth0', false],
    [['eth[!0-4]'], 'eth5', true],
    [['x[]]'], 'x]', true],
    [['x[!]]'], 'x]', false],
    [['x[!]]'], 'xa', true],
    [['x[a-]'], 'x-', true],
    [['x['], 'x[', true],
    [['eth.1'], 'eth01', false],
    [['lo', 'eth*'], 'eth0', true],
    [['lo', 'eth*'], 'wlan0', false],
    [[], 'eth0', false],
  ])('%j matches %j: %s', (patterns, ifname, expected) => {
    expect(matchInterface(patterns, ifname)).toBe(expected);
  });

  test('many stars do not take exponential time', () => {
    expect(matchInterface(['*a*a*a*a*a*a*a*a*a*a*b'], 'a'.repeat(15))).toBe(false);
  });
});

describe('canonicalAddress', () => {
  test.each([
    ['198.18.0.10', '198.18.0.10'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['2001:db8::10', '2001:db8::10'],
    ['2001:DB8:0:0::10', '2001:db8::10'],
    ['2001:0db8:0000:0000:0000:0000:0000:0010', '2001:db8::10'],
    ['::', '::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['fe80::0:1', 'fe80::1'],
    // a single zero group is not compressed
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    // the longest zero run is compressed; the first one on a tie
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    // IPv4-mapped addresses become IPv4
    ['::ffff:198.18.0.10', '198.18.0.10'],
    ['::FFFF:c612:000a', '198.18.0.10'],
    ['0:0:0:0:0:ffff:198.18.0.10', '198.18.0.10'],
    // other embedded IPv4 forms stay IPv6
    ['::198.18.0.10', '::c612:a'],
    ['64:ff9b::198.18.0.10', '64:ff9b::c612:a'],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalAddress(input)).toBe(expected);
  });

  test.each([
    ['198.18.0.300'],
    ['198.18.0'],
    ['198.18.0.1.2'],
    ['01.2.3.4'],
    [' 1.2.3.4'],
    ['1.2.3.4/32'],
    ['localhost'],
    [''],
    [':::'],
    ['1::2::3'],
    ['1:2:3:4:5:6:7:8:9'],
    ['1:2:3:4:5:6:7'],
    ['1:2:3:4:5:6:7::8'],
    ['12345::'],
    ['::1.2.3.4.5'],
    ['1.2.3.4::'],
    ['::ffff:1.2.3.4:1'],
    ['fe80::1%eth0'],
  ])('%j is rejected', (input) => {
    expect(() => canonicalAddress(input)).toThrow(`${JSON.stringify(input)} is not an IPv4 or IPv6 address`);
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nfscope-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('reads and parses a file', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, EXAMPLE);
    const config = loadConfig(file);
    expect(config.node).toBe('worker-1');
    expect(config.nfs.map((nf) => nf.name)).toEqual(['smf-1', 'upf-1']);
  });

  test('problems name the file', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, minimal('nsf: 1\n'));
    expect(() => loadConfig(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: nsf: unknown key`));
  });

  test('a missing file is a ConfigError naming the file and the OS error', () => {
    const file = join(dir, 'missing.yaml');
    let error: unknown;
    try {
      loadConfig(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      { path: '', message: `cannot read the configuration file: ENOENT: no such file or directory, open '${file}'` },
    ]);
    expect((error as ConfigError).message).toBe(
      `${file}: cannot read the configuration file: ENOENT: no such file or directory, open '${file}'`,
    );
  });

  test('a directory is a ConfigError too', () => {
    expect(() => loadConfig(dir)).toThrow(/cannot read the configuration file: EISDIR/);
  });
});

describe('duration_buckets', () => {
  const base = 'interfaces: ["eth0"]\nnfs:\n  - { name: upf-1, type: UPF, addresses: ["198.18.0.2"] }\n';
  test('defaults to 100 µs .. 60 s and accepts an increasing list', () => {
    expect(parseConfig(base, 'c.yaml').durationBuckets).toEqual(DEFAULT_DURATION_BUCKETS);
    expect(parseConfig(`${base}duration_buckets: [0.001, 0.01, 0.1]\n`, 'c.yaml').durationBuckets).toEqual([0.001, 0.01, 0.1]);
  });
  test('bounds that do not increase, or are out of range, are errors naming the index', () => {
    expect(() => parseConfig(`${base}duration_buckets: [0.01, 0.01]\n`, 'c.yaml')).toThrow('c.yaml: duration_buckets[1]: 0.01 does not increase');
    expect(() => parseConfig(`${base}duration_buckets: [0.5, 500]\n`, 'c.yaml')).toThrow('c.yaml: duration_buckets[1]: 500 is not a bound in seconds');
    expect(() => parseConfig(`${base}duration_buckets: []\n`, 'c.yaml')).toThrow('duration_buckets');
  });
});

describe('program_stats', () => {
  const base = 'interfaces: ["eth0"]\nnfs:\n  - { name: upf-1, type: UPF, addresses: ["198.18.0.2"] }\n';
  test('off unless asked for', () => {
    expect(parseConfig(base, 'c.yaml').programStats).toBe(false);
    expect(parseConfig(`${base}program_stats: true\n`, 'c.yaml').programStats).toBe(true);
  });
  test('anything but a boolean is an error', () => {
    expect(() => parseConfig(`${base}program_stats: "yes please"\n`, 'c.yaml')).toThrow('c.yaml: program_stats: "yes please" is not true or false');
  });
});

describe('drops', () => {
  const base = 'interfaces: ["eth0"]\nnfs:\n  - { name: upf-1, type: UPF, addresses: ["198.18.0.2"] }\n';
  test('no overrides unless given; both lists, with functions of unspecified drops', () => {
    expect(parseConfig(base, 'c.yaml').drops).toEqual({ benignReasons: [], lossReasons: [] });
    const c = parseConfig(`${base}drops:\n  benign_reasons: [NOT_SPECIFIED@udp_destruct_common, IPV6DISABLED]\n  loss_reasons: [QUEUE_PURGE]\n`, 'c.yaml');
    expect(c.drops).toEqual({ benignReasons: ['NOT_SPECIFIED@udp_destruct_common', 'IPV6DISABLED'], lossReasons: ['QUEUE_PURGE'] });
  });
  test.each([
    ['drops: [OTHERHOST]\n', 'c.yaml: drops: ["OTHERHOST"] is not a mapping (expected a mapping with the keys benign_reasons, loss_reasons)'],
    ['drops:\n  benign: [OTHERHOST]\n', 'c.yaml: drops.benign: unknown key "benign" (expected one of: benign_reasons, loss_reasons)'],
    ['drops:\n  benign_reasons: OTHERHOST\n', 'c.yaml: drops.benign_reasons: "OTHERHOST" is not a list'],
    ['drops:\n  benign_reasons: [otherhost]\n', 'c.yaml: drops.benign_reasons[0]: "otherhost" is not a drop reason (expected an upper-case kernel name'],
    ['drops:\n  loss_reasons: [1]\n', 'c.yaml: drops.loss_reasons[0]: 1 is not a string'],
    ['drops:\n  benign_reasons: [SKB_DROP_REASON_OTHERHOST]\n', 'c.yaml: drops.benign_reasons[0]: "SKB_DROP_REASON_OTHERHOST": write the reason without the SKB_DROP_REASON_ prefix ("OTHERHOST")'],
    ['drops:\n  benign_reasons: [NO_SOCKET]\n  loss_reasons: [NO_SOCKET]\n', 'c.yaml: drops.loss_reasons[0]: "NO_SOCKET" is already listed at drops.benign_reasons[0]'],
  ])('%j is an error naming where', (extra, message) => {
    expect(() => parseConfig(`${base}${extra}`, 'c.yaml')).toThrow(message);
  });
});

describe('parseConfig: datapath', () => {
  const base = minimal('');
  test('pin_dir and on_exit, normalised', () => {
    expect(parseConfig(`${base}datapath: { pin_dir: /sys/fs/bpf/nfscope-a/, on_exit: detach }\n`, 'c.yaml').datapath).toEqual({ pinDir: '/sys/fs/bpf/nfscope-a', onExit: 'detach' });
  });
  test.each([
    ['datapath: { pin_dir: relative/dir }', 'c.yaml: datapath.pin_dir: "relative/dir" is not an absolute path without ".." (example: /sys/fs/bpf/nfscope)'],
    ['datapath: { pin_dir: /sys/fs/bpf/../etc }', 'c.yaml: datapath.pin_dir: "/sys/fs/bpf/../etc" is not an absolute path without ".."'],
    ['datapath: { on_exit: stay }', 'c.yaml: datapath.on_exit: "stay" is neither "keep" nor "detach"'],
    ['datapath: { pin: /x }', 'c.yaml: datapath.pin: unknown key "pin" (expected one of: pin_dir, on_exit)'],
    ['datapath: /sys/fs/bpf', 'c.yaml: datapath: "/sys/fs/bpf" is not a mapping'],
  ])('%s is an error naming it', (yaml, message) => {
    expect(() => parseConfig(`${base}${yaml}\n`, 'c.yaml')).toThrow(message);
  });
});
