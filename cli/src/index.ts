/** @nfscope/cli: the `nfscope` command, and the command-line conventions every nfscope package shares. */
export { parseOptions, parseCommandLine, durationOption, UsageError, type OptionSpec, type OptionTable, type OptionValues } from './options';
export { parseDuration, durationMs, durationSeconds, DurationError, type DurationUnit, type DurationSyntax } from './duration';
export { main, COMMANDS, type Command } from './main';
