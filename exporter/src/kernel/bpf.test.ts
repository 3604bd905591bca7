import { BpfError, joinPerCpu, perCpuStride, splitPerCpu, sumPerCpu } from './bpf';

const u64s = (...words: bigint[]): Buffer => {
  const b = Buffer.alloc(words.length * 8);
  words.forEach((w, i) => b.writeBigUInt64LE(w, i * 8));
  return b;
};
const words = (b: Buffer): bigint[] => Array.from({ length: b.length / 8 }, (_, i) => b.readBigUInt64LE(i * 8));

describe('perCpuStride', () => {
  test.each([
    [1, 8],
    [4, 8],
    [8, 8],
    [9, 16],
    [12, 16],
    [16, 16],
    [17, 24],
  ])('value size %i → stride %i', (size, stride) => {
    expect(perCpuStride(size)).toBe(stride);
  });
});

describe('splitPerCpu', () => {
  test('cuts one value per stride, without the padding', () => {
    // 3 CPUs, 4-byte values padded to 8
    const raw = Buffer.from('01020304aaaaaaaa' + '05060708bbbbbbbb' + '090a0b0ccccccccc', 'hex');
    expect(splitPerCpu(raw, 4).map((b) => b.toString('hex'))).toEqual(['01020304', '05060708', '090a0b0c']);
  });

  test('16-byte values need no padding', () => {
    const raw = u64s(1n, 2n, 3n, 4n);
    expect(splitPerCpu(raw, 16).map(words)).toEqual([
      [1n, 2n],
      [3n, 4n],
    ]);
  });

  test('an empty buffer has no values', () => {
    expect(splitPerCpu(Buffer.alloc(0), 8)).toEqual([]);
  });
});

describe('joinPerCpu', () => {
  test('lays the values out one per stride, padding zeroed', () => {
    const raw = joinPerCpu([Buffer.from([1, 2, 3, 4]), Buffer.from([5, 6, 7, 8])], 4);
    expect(raw.toString('hex')).toBe('0102030400000000' + '0506070800000000');
  });

  test('is the inverse of splitPerCpu', () => {
    const values = [Buffer.from('aabbccddeeff001122', 'hex'), Buffer.from('000000000000000001', 'hex')];
    const raw = joinPerCpu(values, 9);
    expect(raw.length).toBe(32);
    expect(splitPerCpu(raw, 9)).toEqual(values);
  });

  test('a value of the wrong size throws', () => {
    expect(() => joinPerCpu([Buffer.alloc(4), Buffer.alloc(3)], 4)).toThrow('per-CPU value 1 has 3 bytes, expected 4');
  });
});

describe('sumPerCpu', () => {
  test('adds word by word across CPUs', () => {
    // traffic_val {packets, bytes} on 3 CPUs
    const raw = u64s(1n, 100n, 2n, 200n, 30n, 3000n);
    expect(words(sumPerCpu(raw, 16))).toEqual([33n, 3300n]);
  });

  test('a single u64 counter', () => {
    expect(words(sumPerCpu(u64s(5n, 0n, 7n, 11n), 8))).toEqual([23n]);
  });

  test('wraps around like a u64', () => {
    const max = 2n ** 64n - 1n;
    expect(words(sumPerCpu(u64s(max, 2n), 8))).toEqual([1n]);
    expect(words(sumPerCpu(u64s(max, max, max), 8))).toEqual([BigInt.asUintN(64, 3n * max)]);
    expect(BigInt.asUintN(64, 3n * max)).toBe(max - 2n);
  });

  test('a value size that is not a multiple of 8 throws', () => {
    expect(() => sumPerCpu(Buffer.alloc(16), 4)).toThrow(RangeError);
    expect(() => sumPerCpu(Buffer.alloc(24), 12)).toThrow('cannot sum per-CPU values of 12 bytes');
  });
});

describe('BpfError', () => {
  test('appends the libbpf log to the message and keeps the fields', () => {
    const log = 'libbpf: prog count_drop: BPF program load failed\n0: R1 invalid mem access\n\n';
    const e = new BpfError('load drops.bpf.o', 13, 'EACCES', log);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('BpfError');
    expect(e.message).toBe('load drops.bpf.o\nlibbpf: prog count_drop: BPF program load failed\n0: R1 invalid mem access');
    expect(e.errno).toBe(13);
    expect(e.code).toBe('EACCES');
    expect(e.libbpfLog).toBe(log);
  });

  test('without a log (or only whitespace) the message is unchanged', () => {
    expect(new BpfError('map update', 2, 'ENOENT', '').message).toBe('map update');
    expect(new BpfError('map update', 2, 'ENOENT', ' \n').message).toBe('map update');
  });
});
