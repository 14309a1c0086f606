// `dialguard policy code`: an authorization code entry for a policy's
// `authCodes` (issue 12): the code sealed with the site key, never the code
// in clear (src/fleet/authCodes.ts).

import { readFileSync, writeFileSync } from "node:fs"
import { SERVICE_CLASSES } from "../../devs/policy/types"
import {
    CliError,
    Command,
    EXIT_OK,
    parseOptions,
    required,
    UsageError,
} from "../command"
import { openCode, sealCode } from "../fleet/authCodes"
import { readKeyFileWarned } from "../fleet/sign"
import { checkPolicy, readPolicyDocument } from "../policyFile"

const HELP = `Usage:
  dialguard policy code --key KEYFILE --owner NAME --allow CLASS [--add-to FILE] < code.txt

Makes an authorization code entry (rules (一)4 and (二)3.2.8): a handset
refused by its class (or outside working hours) plays the prompt tone; the
user keys the code and #, and the call goes out with the code's CLASS, the
code's owner in the call record. The entry is
  {"owner":"NAME","allow":"CLASS","sealed":"gcm1:..."}
where sealed is the code encrypted (AES-256-GCM) with a key derived from the
site key ('dialguard key new'). 'policy push' and 'flash' give each board
the HMAC-SHA256 of the code with that board's own key: what passes the
broker is never the code, nor a plain hash, and is of no use to another
board. Keep the key file and the policy file private.

The code (4-12 digits) is read from the first line of stdin, so it stays out
of the shell history and the process list.

Options:
  --key KEYFILE   the site key file the boards hold (64 hex digits)
  --owner NAME    who the code belongs to: the approving supervisor or the
                  person it is issued to (1-40 characters)
  --allow CLASS   the class the code lifts a call to: local, domestic or
                  international
  --add-to FILE   add the entry to the authCodes of the JSON policy FILE
                  (checked before it is written; replaces an entry with the
                  same code) instead of printing it
  -h, --help      show this help

Exit status: 0 done; 1 bad key file, bad code, or FILE invalid after the
change (nothing written); 2 usage errors.

Examples:
  echo 482916 | dialguard policy code --key hq.key --owner "王经理" --allow domestic
  dialguard policy code --key hq.key --owner 李主任 --allow international --add-to hq.policy.json < code.txt
`

function readCode(): string {
    let text: string
    try {
        text = readFileSync(0, "utf8")
    } catch (e) {
        throw new CliError(`cannot read the code from stdin: ${e}`)
    }
    const code = text.split("\n")[0].trim()
    if (!/^[0-9]{4,12}$/.test(code))
        throw new CliError(
            "the code on stdin must be 4-12 digits 0-9 (the handset's keys; # ends it)"
        )
    return code
}

export const policyCode: Command = {
    name: "code",
    summary:
        "make an authorization code entry (HMAC, never the code) for a policy",
    help: HELP,
    run(args) {
        const p = parseOptions(args, {
            key: { type: "string" },
            owner: { type: "string" },
            allow: { type: "string" },
            "add-to": { type: "string" },
        })
        if (p.positionals.length)
            throw new UsageError(
                `unexpected argument ${JSON.stringify(p.positionals[0])} (the code is read from stdin)`
            )
        const keyFile = required(p, "key", "KEYFILE (the site key file)")
        const owner = required(p, "owner", "NAME (who the code belongs to)")
        const allow = required(
            p,
            "allow",
            "CLASS (local, domestic or international)"
        )
        if (owner.length === 0 || owner.length > 40)
            throw new UsageError("--owner must be 1-40 characters")
        if (SERVICE_CLASSES.indexOf(allow as any) < 1)
            throw new UsageError(
                `--allow ${JSON.stringify(allow)}: must be local, domestic or international`
            )
        const key = readKeyFileWarned(keyFile)
        const code = readCode()
        const entry = { owner, allow, sealed: sealCode(key, code) }
        const file = p.values["add-to"] as string | undefined
        if (!file) {
            process.stdout.write(JSON.stringify(entry) + "\n")
            return EXIT_OK
        }
        if (!file.endsWith(".json"))
            throw new UsageError(
                "--add-to takes a .json policy (print the entry for YAML)"
            )
        const doc = readPolicyDocument(file) as any
        if (typeof doc !== "object" || doc === null || Array.isArray(doc))
            throw new CliError(`${file}: not a policy object`)
        const codes = Array.isArray(doc.authCodes) ? doc.authCodes : []
        // the same code again replaces its entry
        doc.authCodes = codes
            .filter(
                (c: any) =>
                    typeof c?.sealed !== "string" ||
                    openCode(key, c.sealed) !== code
            )
            .concat([entry])
        const c = checkPolicy(doc)
        if (!c.policy)
            throw new CliError(
                `${file}: not written, the policy would be invalid: ${c.errors.join("; ")}`
            )
        writeFileSync(file, JSON.stringify(doc, null, 4) + "\n")
        process.stdout.write(
            `${file}: authorization code of ${owner} (class ${allow}) added; ${doc.authCodes.length} code(s) in all. Push the policy for the boards to use it.\n`
        )
        return EXIT_OK
    },
}
