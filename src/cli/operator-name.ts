import os from "node:os";
import { isOperatorName } from "../domain/directory-service.ts";

/**
 * The OS user, for the audit (`cli:<user>`), when it is a name the audit can show: none when the
 * system knows no name for this uid, or when the name is not one (`alice@corp.example.com`,
 * `DOMAIN\alice`, over 32 characters, non-ASCII), which the control channel would refuse whole.
 * Without one the operator is recorded as `cli`.
 */
export function operatorName(userInfo: () => { username: string } = () => os.userInfo()): string | undefined {
  try {
    const { username } = userInfo();
    return isOperatorName(username) ? username : undefined;
  } catch {
    return undefined;
  }
}
