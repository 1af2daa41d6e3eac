// The key lifecycle suite over HTTP: signed requests to POST /slack/events (its Socket Mode twin is socket-mode.e2e.test.ts).
import { keyLifecycleSuite } from "./lifecycle-suite.ts";

keyLifecycleSuite("http");
