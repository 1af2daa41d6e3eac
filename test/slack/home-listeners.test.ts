import { describe, expect, it, vi } from "vitest";
import { homeOpened, homePageButton } from "../../src/slack/listeners/home-listener.ts";
import { textOf } from "./slack-flow-helpers.ts";

/**
 * The Home tab's listeners, built by their factories from fake deps: who the person is cannot be
 * looked up (users.info failing), and Slack refuses every views.publish, the short tab included.
 */
function failingSlack() {
  const opened: Array<{ trigger_id: string; view: unknown }> = [];
  const client = {
    views: {
      publish: vi.fn(async () => {
        throw new Error("views.publish failed");
      }),
      open: vi.fn(async (args: { trigger_id: string; view: unknown }) => {
        opened.push(args);
        return { ok: true, view: { id: "V1" } };
      }),
    },
  };
  const logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn() };
  const deps = {
    users: {
      lookup: async () => {
        throw new Error("users.info failed");
      },
    },
    logger,
  };
  return { client, logger, deps: deps as never, opened };
}

describe("Home-tab listeners when the tab cannot be published at all", () => {
  it("a button press tells the person in a notice modal, with the reference that was logged", async () => {
    const { client, logger, deps, opened } = failingSlack();
    const ack = vi.fn(async () => {});
    const press = { ack, body: { user: { id: "U0HOME1" }, trigger_id: "T0TRIGGER" }, action: { value: "2:" }, client, context: { teamId: "T0TEAM" } };
    await homePageButton(deps)(press as never);
    expect(ack).toHaveBeenCalledOnce();
    expect(client.views.publish).toHaveBeenCalledOnce();
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ trigger_id: "T0TRIGGER", view: { type: "modal", callback_id: "keyward.notice" } });
    const reference = (logger.error.mock.calls[0] as unknown as [{ reference: string }])[0].reference;
    expect(reference).toMatch(/^[0-9a-f]{8}$/);
    expect(textOf(opened[0]!.view)).toContain(reference);
    expect(logger.warn).toHaveBeenCalledWith(expect.anything(), "could not publish even the short Home tab");
  });

  it("a tab being opened has no trigger to answer with: it is logged, and no modal opens", async () => {
    const { client, logger, deps, opened } = failingSlack();
    const event = { event: { type: "app_home_opened", tab: "home", user: "U0HOME1" }, client, context: { teamId: "T0TEAM" } };
    await homeOpened(deps)(event as never);
    expect(client.views.publish).toHaveBeenCalledOnce();
    expect(opened).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith(expect.anything(), "could not publish even the short Home tab");
  });
});
