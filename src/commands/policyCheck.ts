// `dialguard policy check FILE`: validates a policy file with the engine's
// checker and compiles its dial plan, as the firmware would.

import {
    Command,
    EXIT_FAIL,
    EXIT_OK,
    parseOptions,
    UsageError,
} from "../command"
import { checkPolicyFile } from "../policyFile"

const HELP = `Usage:
  dialguard policy check FILE

Validates the policy in FILE (.json, or .yaml/.yml) exactly as the firmware
does and compiles its dial plan.

Valid: prints a one-line summary to stdout and exits 0, e.g.
  sim/policies/hq.policy.json: OK: version 3, site HQ (area code 025), 2 departments, 4 handsets, dial plan 566 nodes (3396 bytes), 31 rules
Invalid: prints every problem to stderr as "FILE: path: reason", then a
count, and exits 1, e.g.
  bad.json: handsets[1].extension: duplicate extension "8001" (also handsets[0])
  bad.json: site.areaCode: "0266" is not a Chinese area code
Unreadable file or malformed JSON/YAML: one message (with line:column for
syntax errors) on stderr, exit 1. Usage errors exit 2.

Options:
  -h, --help    show this help

Examples:
  dialguard policy check sim/policies/hq.policy.json
  dialguard policy check site.yaml && echo "ready to push"
`

function plural(n: number, word: string): string {
    return n + " " + word + (n === 1 ? "" : "s")
}

export const policyCheck: Command = {
    name: "check",
    summary: "validate a policy file and show a summary or every problem",
    help: HELP,
    run(args) {
        const { positionals } = parseOptions(args, {})
        if (positionals.length === 0)
            throw new UsageError("missing FILE (the policy file to check)")
        if (positionals.length > 1) {
            const extra = JSON.stringify(positionals[1])
            throw new UsageError(
                `unexpected argument ${extra} (check one FILE at a time)`
            )
        }
        const file = positionals[0]
        const c = checkPolicyFile(file)
        if (!c.plan || !c.policy) {
            const lines = c.errors.map(e => `${file}: ${e}`)
            for (const h of c.hints) lines.push(`${file}: hint: ${h}`)
            const n = plural(c.errors.length, "problem")
            lines.push(`${file}: invalid: ${n}`)
            process.stderr.write(lines.join("\n") + "\n")
            return EXIT_FAIL
        }
        const { policy, plan } = c
        const summary = [
            `version ${policy.version}`,
            `site ${policy.site.name} (area code ${policy.site.areaCode})`,
            plural(policy.departments.length, "department"),
            plural(policy.handsets.length, "handset"),
            `dial plan ${plural(plan.trie.count, "node")}` +
                ` (${plan.trie.bytes()} bytes)`,
            plural(plan.rules.count, "rule"),
        ]
        process.stdout.write(`${file}: OK: ${summary.join(", ")}\n`)
        return EXIT_OK
    },
}
