import { DEFAULT_LISTEN, parseArgs, parseListen } from './main';

describe('parseListen', () => {
  test.each([
    ['0.0.0.0:9810', '0.0.0.0', 9810],
    ['127.0.0.1:1', '127.0.0.1', 1],
    ['localhost:65535', 'localhost', 65535],
    ['[::1]:9810', '::1', 9810],
    ['[::]:80', '::', 80],
    [':9810', '0.0.0.0', 9810],
  ])('%s', (text, host, port) => {
    expect(parseListen(text)).toEqual({ host, port });
  });

  test.each(['9810', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:99999', '127.0.0.1:http', '::1:9810', '[::1]9810', '[nothex]:1'])('%j is not HOST:PORT', (text) => {
    expect(() => parseListen(text)).toThrow(`--listen: ${JSON.stringify(text)} is not HOST:PORT`);
  });
});

describe('parseArgs', () => {
  test('defaults', () => {
    expect(DEFAULT_LISTEN).toBe('0.0.0.0:9810');
    expect(parseArgs(['--config', 'nfscope.yaml'])).toEqual({
      config: 'nfscope.yaml',
      listen: { host: '0.0.0.0', port: 9810 },
      checkConfig: false,
      detachOnExit: false,
    });
  });

  test('--flag=value and --flag value', () => {
    expect(parseArgs(['--config=/etc/nfscope.yaml', '--listen=127.0.0.1:9900'])).toEqual({
      config: '/etc/nfscope.yaml',
      listen: { host: '127.0.0.1', port: 9900 },
      checkConfig: false,
      detachOnExit: false,
    });
    expect(parseArgs(['--listen', '[::1]:9810', '--config', 'c.yaml'])).toMatchObject({ listen: { host: '::1', port: 9810 } });
  });

  test('--check-config', () => {
    expect(parseArgs(['--check-config', '--config', 'c.yaml'])).toMatchObject({ config: 'c.yaml', checkConfig: true });
  });

  test('--help and --version win, with or without --config', () => {
    expect(parseArgs(['--help'])).toBe('help');
    expect(parseArgs(['-h'])).toBe('help');
    expect(parseArgs(['--config', 'c.yaml', '--help'])).toBe('help');
    expect(parseArgs(['--version'])).toBe('version');
  });

  test('--config is required', () => {
    expect(() => parseArgs([])).toThrow('--config FILE is required');
    expect(() => parseArgs(['--listen', '127.0.0.1:9810'])).toThrow('--config FILE is required');
  });

  test('a flag without its value', () => {
    expect(() => parseArgs(['--config'])).toThrow('--config needs a value');
    expect(() => parseArgs(['--config='])).toThrow('--config needs a value');
    expect(() => parseArgs(['--config', 'c.yaml', '--listen'])).toThrow('--listen needs a value');
  });

  test('an unknown argument', () => {
    expect(() => parseArgs(['--config', 'c.yaml', '--verbose'])).toThrow('unknown argument "--verbose"');
    expect(() => parseArgs(['c.yaml'])).toThrow('unknown argument "c.yaml"');
  });

  test('a bad port', () => {
    expect(() => parseArgs(['--config', 'c.yaml', '--listen', '127.0.0.1:70000'])).toThrow(/--listen: "127\.0\.0\.1:70000" is not HOST:PORT/);
    expect(() => parseArgs(['--config', 'c.yaml', '--listen=0.0.0.0:0'])).toThrow(/is not HOST:PORT/);
  });
});

describe('parseArgs rejects values where none belong', () => {
  test('flags that take no value', () => {
    expect(() => parseArgs(['--config', 'c.yaml', '--check-config=false'])).toThrow('--check-config takes no value');
    expect(() => parseArgs(['--help=x'])).toThrow('--help takes no value');
  });
  test("a flag is not taken as the previous flag's value", () => {
    expect(() => parseArgs(['--config', '--check-config'])).toThrow('--config needs a value');
  });
});

describe('parseArgs: the datapath', () => {
  test('--detach-on-exit', () => {
    expect(parseArgs(['--config', 'c.yaml', '--detach-on-exit'])).toMatchObject({ config: 'c.yaml', detachOnExit: true });
  });
  test('--remove-datapath with a config, a pin dir, or neither', () => {
    expect(parseArgs(['--remove-datapath', '--config', 'c.yaml'])).toEqual({ remove: true, config: 'c.yaml', pinDir: undefined });
    expect(parseArgs(['--remove-datapath', '--pin-dir', '/sys/fs/bpf/x'])).toEqual({ remove: true, config: undefined, pinDir: '/sys/fs/bpf/x' });
    expect(parseArgs(['--remove-datapath'])).toEqual({ remove: true, config: undefined, pinDir: undefined });
  });
  test('bad combinations are refused by name', () => {
    expect(() => parseArgs(['--remove-datapath', '--config', 'c.yaml', '--pin-dir', '/sys/fs/bpf/x'])).toThrow('--remove-datapath takes --config FILE or --pin-dir DIR, not both');
    expect(() => parseArgs(['--config', 'c.yaml', '--pin-dir', '/sys/fs/bpf/x'])).toThrow('--pin-dir goes with --remove-datapath');
    expect(() => parseArgs(['--remove-datapath', '--pin-dir', 'rel'])).toThrow('--pin-dir: "rel" is not an absolute path');
  });
});
