// dialguard: the DialGuard admin CLI. A table of commands; each lives in
// src/commands/ and exports a Command. To add one, write the module and
// list it in COMMANDS (or in a group's subcommands, like `policy`).

import { readFileSync } from "node:fs"
import {
    CliError,
    Command,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
} from "./command"
import { broker } from "./commands/broker"
import { collect } from "./commands/collect"
import { decide } from "./commands/decide"
import { flash } from "./commands/flash"
import { key } from "./commands/key"
import { policy } from "./commands/policy"
import { report } from "./commands/report"
import { sim } from "./commands/sim"
import { status } from "./commands/status"

const COMMANDS: Command[] = [
    decide,
    policy,
    key,
    status,
    report,
    collect,
    broker,
    flash,
    sim,
]

/** "  name   summary" rows for every leaf command under `cmds`. */
function listCommands(cmds: Command[], prefix: string): string {
    const rows: [string, string][] = []
    const walk = (list: Command[], pre: string) => {
        for (const c of list)
            if (c.subcommands) walk(c.subcommands, `${pre}${c.name} `)
            else rows.push([pre + c.name, c.summary])
    }
    walk(cmds, prefix)
    const width = Math.max(...rows.map(r => r[0].length)) + 2
    return rows
        .map(([name, text]) => "  " + name.padEnd(width) + text)
        .join("\n")
}

const topHelp = () => `\
dialguard: admin tool for DialGuard, the office desk-phone dial guard

Usage:
  dialguard <command> [options]

Commands:
${listCommands(COMMANDS, "")}

Run 'dialguard help <command>' or 'dialguard <command> --help' for details.

Exit status: 0 success (decide: the call was decided, dialled or blocked);
1 the command failed (invalid or unreadable policy, unknown handset, batch
lines with errors); 2 usage error; 70 internal error (a dialguard bug).

Examples:
  dialguard policy check sim/policies/hq.policy.json
  dialguard decide --policy sim/policies/hq.policy.json --handset 8001 01062345678
  dialguard decide --policy sim/policies/hq.policy.json --batch < calls.jsonl
`

function helpOf(cmd: Command, path: string[]): string {
    if (!cmd.subcommands) return cmd.help
    const name = path.join(" ")
    return `\
Usage:
  dialguard ${name} <subcommand> [options]

Subcommands:
${listCommands(cmd.subcommands, name + " ")}

${cmd.help}
Run 'dialguard help ${name} <subcommand>' for details.
`
}

function usage(message: string, path: string[]): UsageError {
    const e = new UsageError(message)
    e.path = path
    return e
}

function find(list: Command[], word: string, path: string[]): Command {
    const c = list.find(c => c.name === word)
    if (c) return c
    const what = path.length ? "subcommand" : "command"
    const names = list.map(c => c.name).join(", ")
    throw usage(`unknown ${what} '${word}' (expected one of: ${names})`, path)
}

/** `dialguard help [a [b]]`: the help of command `a b`. */
function help(words: string[]): number {
    let list: Command[] | undefined = COMMANDS
    let cmd: Command | undefined
    const path: string[] = []
    for (const w of words) {
        if (!list) throw usage(`no subcommand '${w}'`, path)
        cmd = find(list, w, path)
        path.push(w)
        list = cmd.subcommands
    }
    process.stdout.write(cmd ? helpOf(cmd, path) : topHelp())
    return EXIT_OK
}

function wantsHelp(args: string[]): boolean {
    for (const a of args) {
        if (a === "--") return false
        if (a === "-h" || a === "--help") return true
    }
    return false
}

function version(): string {
    const pkg = new URL("../package.json", import.meta.url)
    return JSON.parse(readFileSync(pkg, "utf8")).version
}

/** Walks the command table along `args` and runs the command found. */
async function dispatch(args: string[]): Promise<number> {
    let list = COMMANDS
    const path: string[] = []
    for (let i = 0; ; i++) {
        const word = args[i]
        const top = path.length === 0
        if (word === undefined) {
            if (top) {
                process.stderr.write(topHelp())
                return EXIT_USAGE
            }
            const names = list.map(c => c.name).join(", ")
            throw usage(`missing subcommand (one of: ${names})`, path)
        }
        if (word === "-h" || word === "--help") return help(path)
        if (top && word === "help") return help(args.slice(i + 1))
        if (top && word === "--version") {
            process.stdout.write(`dialguard ${version()}\n`)
            return EXIT_OK
        }
        if (word.startsWith("-")) throw usage(`unknown option ${word}`, path)
        const cmd = find(list, word, path)
        path.push(word)
        if (cmd.subcommands) {
            list = cmd.subcommands
            continue
        }
        const rest = args.slice(i + 1)
        if (wantsHelp(rest) || !cmd.run) return help(path)
        try {
            return await cmd.run(rest)
        } catch (e) {
            if (e instanceof UsageError) e.path ??= path
            throw e
        }
    }
}

/** Runs the CLI; resolves to the exit code. Never throws. */
export async function main(args: string[]): Promise<number> {
    try {
        return await dispatch(args)
    } catch (e) {
        const err = process.stderr
        if (e instanceof UsageError) {
            const cmd = ["dialguard", ...(e.path ?? [])].join(" ")
            err.write(`${cmd}: ${e.message}\n`)
            err.write(`Run '${cmd} --help' for usage.\n`)
            return EXIT_USAGE
        }
        if (e instanceof CliError) {
            err.write(
                [`dialguard: ${e.message}`, ...e.details].join("\n") + "\n"
            )
            return e.exitCode
        }
        err.write(`dialguard: internal error: ${(e as Error)?.message ?? e}\n`)
        if (process.env["DIALGUARD_DEBUG"])
            err.write(`${(e as Error)?.stack}\n`)
        else err.write("(a bug in dialguard; DIALGUARD_DEBUG=1 shows where)\n")
        return EXIT_INTERNAL
    }
}

// A reader that quits early (`dialguard decide --batch | head`) is no error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? EXIT_OK)
    throw e
})

// An error thrown in a callback (a library's event handler) is a bug too:
// one line, like the others, not a stack trace.
const crash = (e: unknown) => {
    const err = process.stderr
    err.write(`dialguard: internal error: ${(e as Error)?.message ?? e}\n`)
    if (process.env["DIALGUARD_DEBUG"]) err.write(`${(e as Error)?.stack}\n`)
    else err.write("(a bug in dialguard; DIALGUARD_DEBUG=1 shows where)\n")
    process.exit(EXIT_INTERNAL)
}
process.on("uncaughtException", crash)
process.on("unhandledRejection", crash)

process.exitCode = await main(process.argv.slice(2))
