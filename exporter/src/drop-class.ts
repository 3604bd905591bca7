/**
 * Which kernel drops are loss and which are benign: the default table
 * (drop-reasons.ts) with the config's overrides (`drops:`).
 */
import type { DropsConfig } from './config';
import { DROP_REASONS, type DropClass, NOT_DROP_REASONS } from './drop-reasons';

export type { DropClass } from './drop-reasons';
export const DROP_CLASSES: readonly DropClass[] = ['loss', 'benign'];

const DEFAULT_CLASS = new Map<string, DropClass>(DROP_REASONS.map((r) => [r.name, r.class]));

export class DropClassifier {
  private readonly overrides = new Map<string, DropClass>();
  private readonly cache = new Map<string, DropClass>();

  constructor(config: DropsConfig = { benignReasons: [], lossReasons: [] }) {
    for (const r of config.benignReasons) this.overrides.set(r, 'benign');
    for (const r of config.lossReasons) this.overrides.set(r, 'loss');
  }

  /**
   * The class of a reason label: the config's entry for it, else (for
   * NOT_SPECIFIED@function) the config's entry for the reason without the
   * function, else the default table; a reason in neither is loss.
   */
  classOf(reason: string): DropClass {
    let c = this.cache.get(reason);
    if (c) return c;
    const at = reason.indexOf('@');
    const base = at < 0 ? reason : reason.slice(0, at);
    c = this.overrides.get(reason) ?? this.overrides.get(base) ?? DEFAULT_CLASS.get(base) ?? 'loss';
    if (this.cache.size < 4096) this.cache.set(reason, c);
    return c;
  }

  /** The overrides that name no reason of the running kernel (names without the prefix). */
  unknownOverrides(kernelReasons: Iterable<string>): string[] {
    const known = new Set(kernelReasons);
    return [...this.overrides.keys()].filter((r) => !known.has(r.split('@')[0]));
  }
}

/**
 * Reasons of the running kernel (enum skb_drop_reason, names without the
 * SKB_DROP_REASON_ prefix) that nfscope's table does not list: counted as loss.
 */
export function unclassifiedReasons(kernelEnumerators: Iterable<string>): string[] {
  const out: string[] = [];
  for (const full of kernelEnumerators) {
    if (NOT_DROP_REASONS.includes(full)) continue;
    const name = full.replace(/^SKB_DROP_REASON_/, '');
    if (!DEFAULT_CLASS.has(name)) out.push(name);
  }
  return out;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The table of docs/drops.md: every reason nfscope knows, its class and what the kernel documents. */
export function dropTableMarkdown(): string {
  const rows = DROP_REASONS.map((r) => `| \`${r.name}\` | ${r.class} | ${cell(r.meaning)} | ${cell(r.why ?? '')} |`);
  return ['| reason | class | what the kernel documents (include/net/dropreason-core.h) | why benign |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}
