// What every dialguard command is made of, the errors commands throw, and
// option parsing (node:util parseArgs, with one-line messages of our own).

import { parseArgs } from "node:util"

export const EXIT_OK = 0
/** The command ran and found a problem: invalid policy, unreadable file, bad batch lines. */
export const EXIT_FAIL = 1
/** The command line itself is wrong. */
export const EXIT_USAGE = 2
/** A bug in dialguard (sysexits EX_SOFTWARE). */
export const EXIT_INTERNAL = 70

export interface Command {
    /** The word typed after `dialguard` (or after the parent command). */
    name: string
    /** One line for the command list. */
    summary: string
    /** Full help: usage, description, options, examples. */
    help: string
    /** A command group (`policy`): the next word picks one of these. */
    subcommands?: Command[]
    /** Runs a leaf command with the arguments after its name; resolves to the exit code. */
    run?: (args: string[]) => Promise<number> | number
}

/** A wrong command line: printed as one line plus a pointer to --help, exit 2. */
export class UsageError extends Error {
    /** The command it concerns, e.g. ["policy", "check"]; set by the dispatcher. */
    path?: string[]
}

/** The command failed for a reason the user can fix: printed without a stack trace. */
export class CliError extends Error {
    constructor(
        message: string,
        /** Extra lines printed after the message (e.g. the problems found in a policy). */
        readonly details: string[] = [],
        readonly exitCode = EXIT_FAIL
    ) {
        super(message)
    }
}

export interface OptionSpec {
    type: "string" | "boolean"
    short?: string
}

export interface Parsed {
    values: Record<string, string | boolean | undefined>
    positionals: string[]
    /**
     * Indexes of positionals right after a --password value: possibly the
     * rest of a password with a space in it, never quoted in messages.
     */
    afterSecret?: number[]
}

/** Options whose values are secrets. */
const SECRET_OPTIONS = ["password"]

/** A positional as a message may show it (not one that may be part of a password). */
export function shownPositional(p: Parsed, i: number): string {
    return p.afterSecret?.includes(i)
        ? "after --password (not shown; a password with spaces needs quotes)"
        : JSON.stringify(p.positionals[i])
}

/**
 * Parses `args` against `spec`. Unknown options, missing or unexpected
 * option values and repeated options are UsageErrors. Positionals are
 * returned as given; the caller checks how many it wants.
 */
export function parseOptions(
    args: string[],
    spec: Record<string, OptionSpec>
): Parsed {
    const { tokens } = parseArgs({
        args,
        options: spec,
        strict: false,
        allowPositionals: true,
        tokens: true,
    })
    const values: Parsed["values"] = {}
    const positionals: string[] = []
    const afterSecret: number[] = []
    let secretEnd = -1
    for (const t of tokens) {
        if (t.kind === "positional") {
            if (t.index === secretEnd + 1) afterSecret.push(positionals.length)
            positionals.push(t.value)
        }
        if (t.kind !== "option") continue
        if (SECRET_OPTIONS.includes(t.name))
            secretEnd = t.inlineValue === false ? t.index + 1 : t.index
        const s = spec[t.name]
        const opt = t.rawName
        if (!s) throw new UsageError(`unknown option ${opt}`)
        if (values[t.name] !== undefined)
            throw new UsageError(`option --${t.name} given more than once`)
        if (s.type === "boolean") {
            if (t.value !== undefined)
                throw new UsageError(`option ${opt} takes no value`)
            values[t.name] = true
            continue
        }
        // "--policy --json": the next word is an option, not the value.
        const v = t.value
        if (v === undefined || (!t.inlineValue && /^-./.test(v)))
            throw new UsageError(`option ${opt} needs a value`)
        values[t.name] = v
    }
    return { values, positionals, afterSecret }
}

/** The value of a required string option, or a UsageError naming it. */
export function required(p: Parsed, name: string, what: string): string {
    const v = p.values[name]
    if (typeof v !== "string") throw new UsageError(`missing --${name} ${what}`)
    return v
}
