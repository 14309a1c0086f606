// The office rules' VM tests (issue 12): their own VM, like main-store.ts.
import "./officeRules.test"
