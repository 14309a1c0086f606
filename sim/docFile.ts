// Reading a JSON or YAML document of the simulator (scenario, site, policy).

import { readFileSync } from "node:fs"
import { CliError } from "../src/command"
import { parseDocument } from "../src/policyFile"
import { SimError } from "../src/board/errors"

/** Reads the file an object or a path (relative to the scenario) refers to. */
export function loadJsonOrYaml(file: string, what: string): unknown {
    let text: string
    try {
        text = readFileSync(file, "utf8")
    } catch (e) {
        throw new SimError(
            `cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`
        )
    }
    try {
        // (never quotes a file that may hold a secret, e.g. a key file)
        return parseDocument(file, text, what)
    } catch (e) {
        if (!(e instanceof CliError)) throw e
        throw new SimError(e.message, e.details)
    }
}
