'use strict';
/**
 * The command lines of the test tools (and scripts/show-summary.js), read
 * with node:util parseArgs in strict mode: an unknown option, a missing
 * value, a value given to a flag or an argument that is no option is an
 * error that names it. Every tool takes -h/--help, which prints its usage
 * line and exits 0. A mistake prints "TOOL: what is wrong" and the usage on
 * stderr and exits 2, whether parseArgs or the tool's own checks of the
 * values find it.
 */
const { parseArgs } = require('node:util');

/**
 * Reads `argv` against `options` (parseArgs' option table; help is added).
 * `positionals` is how many arguments that are not options the tool takes
 * (none unless said). Returns the values, the positionals, the tokens (the
 * options in the order given, for tools whose options are steps of a
 * script) and checks that end the process with exit 2 on a bad value.
 */
function commandLine(name, usage, options, { positionals = 0, argv = process.argv.slice(2) } = {}) {
  const fail = (message) => {
    process.stderr.write(`${name}: ${message}\n${usage}\n`);
    process.exit(2);
  };
  let r;
  try {
    r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: positionals > 0, tokens: true });
  } catch (e) {
    fail(e.message.replace(/\. To specify a positional argument.*$/s, '').replace(/\n/g, ' '));
  }
  if (r.values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  if (r.positionals.length > positionals) fail(`unexpected argument ${JSON.stringify(r.positionals[positionals])}`);
  const given = (key) => r.values[key] !== undefined;

  /** A string option that must be given (and not empty). */
  const required = (key) => {
    const v = r.values[key];
    if (v === undefined || v === '') fail(`--${key} is required`);
    return v;
  };

  /**
   * A number option: finite, whole when `integer`, at least `min`, above
   * `above`, at most `max`. When it is not given: an error when `required`,
   * otherwise `fallback` (undefined without one). `text` is the value when it
   * comes from elsewhere than the option itself (an item of a list).
   */
  const number = (key, { required = false, fallback, integer = false, min, above, max, text } = {}) => {
    const raw = text ?? r.values[key];
    if (raw === undefined) {
      if (required) fail(`--${key} is required`);
      return fallback;
    }
    const v = Number(raw);
    const ok = raw.trim() !== '' && Number.isFinite(v) && (!integer || Number.isInteger(v)) && (min === undefined || v >= min) && (above === undefined || v > above) && (max === undefined || v <= max);
    if (!ok) {
      const range = [min !== undefined ? `at least ${min}` : '', above !== undefined ? `above ${above}` : '', max !== undefined ? `at most ${max}` : ''].filter(Boolean).join(' and ');
      fail(`--${key}: ${JSON.stringify(raw)} is not a ${integer ? 'whole number' : 'number'}${range ? ` ${range}` : ''}`);
    }
    return v;
  };

  /** A port number option (1 to 65535), required unless it has a `fallback`. */
  const port = (key, fallback) => number(key, { required: fallback === undefined, fallback, integer: true, min: 1, max: 65535 });

  return { values: r.values, positionals: r.positionals, tokens: r.tokens, given, fail, required, number, port };
}

/** Whether `text` is whole octets in hexadecimal (what Buffer.from(text, 'hex') reads in full). */
const isHex = (text) => /^(?:[0-9a-fA-F]{2})*$/.test(text);

module.exports = { commandLine, isHex };
