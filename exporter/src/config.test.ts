import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalAddress, ConfigError, DEFAULT_DURATION_BUCKETS, loadConfig, matchInterface, NF_TYPES, parseConfig } from './config';
import { expectProblem, minimal, MINIMAL_NFS, problemsOf } from './test-helpers/config';

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
    expect(NF_TYPES).toEqual(['AMF', 'SMF', 'UPF', 'NRF', 'AUSF', 'UDM', 'UDR', 'PCF', 'NSSF', 'BSF', 'NEF', 'CHF', 'SCP', 'SEPP', 'NWDAF', 'SMSF', 'LMF', 'N3IWF', 'gNB', 'DN']);
  });

  test('addresses are canonicalized', () => {
    const config = parseConfig('interfaces: [eth0]\nnfs:\n  - name: upf-1\n    type: UPF\n' + '    addresses: ["2001:DB8:0:0::10", "::ffff:198.18.0.20", "fe80:0:0:0:0:0:0:1"]\n', 'c', {
      hostname: 'h',
    });
    expect(config.nfs[0].addresses).toEqual(['2001:db8::10', '198.18.0.20', 'fe80::1']);
  });

  test("a protocol key replaces only that protocol's defaults", () => {
    const config = parseConfig(minimal('protocols:\n  sbi: { ports: [29500, 29510] }\n  pfcp: { ports: [8806] }\n'), 'c', {
      hostname: 'h',
    });
    expect(config.protocols).toEqual({ pfcp: [8806], gtpu: [2152], sbi: [29500, 29510], ngap: [38412] });
  });

  test('the same port may be used by protocols on different transports', () => {
    const config = parseConfig(minimal('protocols:\n  pfcp: { ports: [8805] }\n  sbi: { ports: [8805] }\n  ngap: { ports: [8805] }\n'), 'c', { hostname: 'h' });
    expect(config.protocols).toEqual({ pfcp: [8805], gtpu: [2152], sbi: [8805], ngap: [8805] });
  });

  test('peers are normalized to base URLs', () => {
    const config = parseConfig(
      minimal('peers:\n' + '  - worker-2:9400\n' + '  - "10.0.0.2:9400"\n' + '  - "[2001:DB8::2]:9400"\n' + '  - http://Worker-3.example:9400/\n' + '  - https://worker-4/nfscope/\n'),
      'c',
      { hostname: 'h' },
    );
    expect(config.peers).toEqual(['http://worker-2:9400', 'http://10.0.0.2:9400', 'http://[2001:db8::2]:9400', 'http://worker-3.example:9400', 'https://worker-4/nfscope']);
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
    expectProblem('interfaces: [eth0\nnfs: []\n', '', /^YAML syntax error at line 2, column 1: Flow sequence in block collection must be sufficiently indented/);
  });

  test('all syntax errors are reported', () => {
    const problems = problemsOf('interfaces: [eth0]\ninterfaces: [eth1]\nnfs: "abc\n');
    expect(problems.map((p) => p.message)).toEqual(['YAML syntax error at line 2, column 1: Map keys must be unique', 'YAML syntax error at line 4, column 1: Missing closing "quote']);
  });

  test('several documents are an error', () => {
    expectProblem('interfaces: [eth0]\n---\nnfs: []\n', '', /^YAML syntax error at line 2, column 1: Source contains multiple documents/);
  });

  test('an unquoted pattern starting with "*" is an unknown alias, with a hint', () => {
    expectProblem(`interfaces: [eth0, *-veth]\n${MINIMAL_NFS}`, '', 'YAML error at line 1, column 20: unknown alias "*-veth" (a value starting with "*" must be quoted, e.g. "*-veth")');
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
    expectProblem(minimal('protocols:\n  gtp: { ports: [2152] }\n'), 'protocols.gtp', 'unknown key "gtp" (expected one of: pfcp, gtpu, sbi, ngap); did you mean "gtpu"?');
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
    expectProblem(minimal(`node: ${JSON.stringify(node)}\n`), 'node', `${JSON.stringify(node)} is not a valid node name (expected 1 to 253 characters from A-Z, a-z, 0-9, ".", "_", "-")`);
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
    expectProblem(withInterfaces('eth0'), 'interfaces', '"eth0" is not a list (expected a list of interface name patterns)');
  });

  test('must not be empty', () => {
    expectProblem(withInterfaces('[]'), 'interfaces', '[] is empty (expected a list of interface name patterns with at least one entry)');
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
    expectProblem(withInterfaces(`[${JSON.stringify(pattern)}]`), 'interfaces[0]', `${JSON.stringify(pattern)} contains ${char}, which cannot appear in an interface name`);
  });

  test('a bracket expression must be closed', () => {
    expectProblem(withInterfaces('["eth[0-9"]'), 'interfaces[0]', '"eth[0-9" has a "[" without a closing "]" (expected a bracket expression like [0-9])');
  });

  test('a name without glob characters is at most 15 characters', () => {
    expect(parseConfig(withInterfaces('[abcdefghijklmno]'), 'c').interfaces).toEqual(['abcdefghijklmno']);
    expectProblem(withInterfaces('[abcdefghijklmnop]'), 'interfaces[0]', '"abcdefghijklmnop" can never match: it needs at least 16 characters and interface names have at most 15');
  });

  test('a pattern that needs more than 15 characters can never match', () => {
    expect(parseConfig(withInterfaces('["abcdefghijklmn*", "[ab]bcdefghijklmn?"]'), 'c').interfaces).toHaveLength(2);
    expectProblem(withInterfaces('["abcdefghijklmn??*"]'), 'interfaces[0]', '"abcdefghijklmn??*" can never match: it needs at least 16 characters and interface names have at most 15');
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
    expect(configError.problems.map((p) => p.path)).toEqual(['nsf', 'interfaces[0]', 'nfs[0].type', 'nfs[0].addresses[0]', 'nfs[1].name', 'protocols.gtpu.ports[0]', 'peers[0]', 'request_timeout']);
    const lines = configError.message.split('\n');
    expect(lines).toHaveLength(8);
    expect(lines).toEqual(configError.problems.map((p) => `config.yaml: ${p.path}: ${p.message}`));
    expect(lines[3]).toBe('config.yaml: nfs[0].addresses[0]: "198.18.0.300" is not an IPv4 or IPv6 address');
  });

  test('a document-level problem has no path in its line', () => {
    expect(() => parseConfig('', 'config.yaml')).toThrow(new Error('config.yaml: the file is empty (expected a mapping with at least "interfaces" and "nfs")'));
  });

  test('long values are shortened in messages', () => {
    const problems = problemsOf(minimal(`node: "${'x '.repeat(50)}"\n`));
    // 57 characters of JSON, then "..."
    expect(problems[0].message).toBe(`"${'x '.repeat(28)}... is not a valid node name (expected 1 to 253 characters from A-Z, a-z, 0-9, ".", "_", "-")`);
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
    expect((error as ConfigError).problems).toEqual([{ path: '', message: `cannot read the configuration file: ENOENT: no such file or directory, open '${file}'` }]);
    expect((error as ConfigError).message).toBe(`${file}: cannot read the configuration file: ENOENT: no such file or directory, open '${file}'`);
  });

  test('a directory is a ConfigError too', () => {
    expect(() => loadConfig(dir)).toThrow(/cannot read the configuration file: EISDIR/);
  });
});
