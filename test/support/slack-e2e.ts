// The set-up every Slack end-to-end file shares: the real app against a fake Slack, started before
// the file's first test with the file's own people and channels, and closed (wire checks included)
// after its last. Each file keeps its own data; only the plumbing lives here.
import { afterAll, beforeAll } from "vitest";
import type { Actor } from "../../src/domain/types.ts";
import { channelId, startTestApp, type TestApp, type TestAppOptions } from "./app-harness.ts";
import type { FakeChannelInit, FakeUserInit } from "./fake-slack.ts";

/** A Slack user in the test channel; `role` is the keyward role the first person assigns them. */
export interface Person extends FakeUserInit {
  role?: string;
}

export interface SlackE2eOptions extends TestAppOptions {
  /** The first is a Slack admin or owner: keyward's Admin, who assigns the others their roles. */
  people?: Person[];
  /** More channels in the fake (the harness's test channel always exists). */
  channels?: FakeChannelInit[];
  /**
   * One /keys help first, so that the file's first real request is not also the cold process's
   * first: on a loaded machine that one can outlast Slack's 3-second trigger before views.open.
   */
  warmUp?: boolean;
}

export interface SlackE2e {
  /** The same object throughout: filled in before the file's first test. */
  readonly app: TestApp;
  /** keyward's actor for the first person (as the Slack admin they are), filled in likewise. */
  readonly admin: Actor;
}

/** Registers the file's beforeAll (start, people, channels) and afterAll (close) hooks. */
export function useSlackApp(options: SlackE2eOptions = {}): SlackE2e {
  const { people = [], channels = [], warmUp = false, ...appOptions } = options;
  const app = {} as TestApp;
  const admin = {} as Actor;
  beforeAll(async () => {
    Object.assign(app, await startTestApp(appOptions));
    for (const { role: _role, ...user } of people) app.addUser(user);
    for (const channel of channels) app.fake.addChannel(channel);
    const [first, ...others] = people;
    if (!first) return;
    Object.assign(admin, await app.keyward.services.access.actorForUser(app.fake.teamId, first.id, { isWorkspaceAdmin: true }, "slack"));
    for (const person of others) if (person.role) await app.keyward.services.roles.assign(admin, person.id, person.role);
    if (warmUp) {
      const ack = await app.driver.command({ userId: first.id, text: "help", channelId });
      await app.driver.waitForResponse(ack);
    }
  });
  afterAll(async () => {
    await app.close?.();
  });
  return { app, admin };
}
