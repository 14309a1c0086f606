// Loads a policy file (JSON, or YAML for .yaml/.yml), validates it with the
// engine's own checker and compiles its dial plan. Unreadable files and
// syntax errors are CliErrors with a file:line:column message.

import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import type * as Yaml from "yaml"
import { compileDialPlan } from "../devs/engine/dialPlan"
import { DialPlan } from "../devs/engine/types"
import { Policy } from "../devs/policy/types"
import { validatePolicy } from "../devs/policy/validate"
import { checkOfficeRules } from "../devs/policy/officeRules"
import { CliError } from "./command"
import { parseJson } from "./jsonError"
import { isKeyFileText, mayHoldSecret } from "./secrets"

export interface PolicyCheck {
    policy?: Policy
    plan?: DialPlan
    /** "path: reason", one per problem; empty when the policy is valid. */
    errors: string[]
    /** Advice on the problems, e.g. about quoting. */
    hints: string[]
}

export function isYamlFile(file: string): boolean {
    return /\.ya?ml$/i.test(file)
}

const READ_ERRORS: Record<string, string> = {
    ENOENT: "no such file",
    EISDIR: "it is a directory",
    EACCES: "permission denied",
}

function readText(file: string): string {
    try {
        return readFileSync(file, "utf8").replace(/^\uFEFF/, "")
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? ""
        const why = READ_ERRORS[code] ?? (e as Error).message
        throw new CliError(`cannot read policy file ${file}: ${why}`)
    }
}

// yaml is loaded for the first YAML file only: JSON policies start faster
const yaml = (): typeof Yaml => createRequire(import.meta.url)("yaml")

/** The key of the mapping entry whose key starts at `offset`, if it is a plain value. */
function keyAt(doc: Yaml.Document, offset: number): string | undefined {
    const Y = yaml()
    let key: string | undefined
    Y.visit(doc, {
        Pair(_, pair) {
            const k = pair.key
            if (Y.isScalar(k) && k.range?.[0] === offset) {
                key = String(k.value)
                return Y.visit.BREAK
            }
        },
    })
    return key
}

/** Said instead of an excerpt of a file that may hold a secret. */
const NOT_SHOWN =
    "    (the line is not shown: the file looks like it holds a key or password)"

function parseYaml(file: string, text: string, secret: boolean): unknown {
    const doc = yaml().parseDocument(text)
    const err = doc.errors[0]
    if (err) {
        // "Map keys must be unique at line 2, column 1:\n\n<snippet>\n^\n"
        const [first, ...snippet] = err.message.split("\n")
        const pos = err.linePos?.[0]
        const where = pos ? `${file}:${pos.line}:${pos.col}` : file
        let msg = first.replace(/ at line \d+, column \d+:?$/, "")
        const key = err.code === "DUPLICATE_KEY" && keyAt(doc, err.pos[0])
        if (key) msg = `duplicate key ${JSON.stringify(key)} (${msg})`
        throw new CliError(
            `${where}: invalid YAML: ${msg}`,
            secret
                ? [NOT_SHOWN]
                : snippet.filter(l => l.trim() !== "").map(l => "    " + l)
        )
    }
    try {
        return doc.toJS()
    } catch (e) {
        // e.g. an alias to an anchor that does not exist
        throw new CliError(`${file}: invalid YAML: ${(e as Error).message}`)
    }
}

/**
 * The JSON (or, for .yaml/.yml, YAML) document in `text` of `file`; a
 * CliError with file:line:column and an excerpt when it does not parse.
 * Nothing of a text that may hold a secret (a key file given by mistake, a
 * board configuration) is quoted.
 */
export function parseDocument(
    file: string,
    text: string,
    what: string
): unknown {
    text = text.replace(/^\uFEFF/, "")
    if (text.trim() === "")
        throw new CliError(`${file}: the file is empty (expected a ${what})`)
    if (isKeyFileText(text))
        throw new CliError(
            `${file}: this is a site key file (64 hex digits), not a ${what}`
        )
    const secret = mayHoldSecret(text)
    if (isYamlFile(file)) return parseYaml(file, text, secret)
    const r = parseJson(text, secret)
    if (r.problem) {
        const { line, column, message, excerpt } = r.problem
        const where = `${file}:${line}:${column}`
        throw new CliError(
            `${where}: invalid JSON: ${message}`,
            secret ? [NOT_SHOWN] : excerpt
        )
    }
    if (r.fallback) throw new CliError(`${file}: invalid JSON: ${r.fallback}`)
    return r.value
}

/** The parsed document in `file`, not yet validated. */
export function readPolicyDocument(file: string): unknown {
    return parseDocument(file, readText(file), "policy")
}

/** Validates a parsed document and, when valid, compiles its dial plan. */
export function checkPolicy(raw: unknown): PolicyCheck {
    const v = validatePolicy(raw, checkOfficeRules)
    const hints: string[] = []
    if (v.errors.some(e => /must be a string, not -?\d/.test(e)))
        hints.push(
            "digit strings (extensions, area codes, numbers) must be quoted:" +
                ' "8001", not 8001'
        )
    if (!v.policy) return { errors: v.errors, hints }
    try {
        return {
            policy: v.policy,
            plan: compileDialPlan(v.policy),
            errors: [],
            hints,
        }
    } catch (e) {
        // The compiler throws plain Errors for plans that do not fit
        // ("dial plan too large"); anything else is a bug, reported as such.
        if (!(e instanceof Error) || e.constructor !== Error) throw e
        return {
            errors: [`(dial plan): cannot be compiled: ${e.message}`],
            hints,
        }
    }
}

export function checkPolicyFile(file: string): PolicyCheck {
    return checkPolicy(readPolicyDocument(file))
}

/** A valid policy and its plan, or a CliError listing every problem. */
export function loadPolicy(file: string): { policy: Policy; plan: DialPlan } {
    const c = checkPolicyFile(file)
    if (!c.plan || !c.policy) {
        const n = c.errors.length
        const problems = `${n} problem${n === 1 ? "" : "s"}`
        throw new CliError(
            `policy file ${file} is invalid (${problems}):`,
            c.errors
                .map(e => `  ${file}: ${e}`)
                .concat(c.hints.map(h => `  hint: ${h}`))
        )
    }
    return { policy: c.policy, plan: c.plan }
}
