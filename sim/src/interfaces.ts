/**
 * Which 5G reference point connects two NF types, for the traffic the
 * simulator makes (TS 23.501 §4.2.3): gNB–UPF is N3, UPF–UPF is N9, SMF–UPF N4.
 */
import type { Interface } from './record';

export function interfaceBetween(a: string, b: string): Interface {
  const types = [a, b].sort().join('-');
  if (types === 'UPF-gNB') return 'N3';
  if (types === 'UPF-UPF') return 'N9';
  if (types === 'SMF-UPF') return 'N4';
  throw new Error(`the simulator has no interface between ${a} and ${b}`);
}
