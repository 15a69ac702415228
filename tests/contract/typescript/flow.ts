// A mobile app's respondent flow, typed against openapi-typescript's output of the served
// document, through openapi-fetch. tests/contract/test_typescript_client.py generates
// generated/attune.d.ts and runs `tsc --noEmit`: a contract change that breaks a TypeScript
// client fails there. The `@ts-expect-error` lines prove what the contract must refuse.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/attune";

type Schemas = components["schemas"];

export async function respondentFlow(baseUrl: string): Promise<Schemas["SubmissionRead"]> {
  const api = createClient<paths>({ baseUrl });

  // Every field of a new respondent is optional: `{}` type-checks.
  const created = await api.POST("/v1/respondents", { body: {} });
  if (!created.data) throw new Error("no respondent");
  const headers = { Authorization: `Bearer ${created.data.token}` };

  const spanish = await api.GET("/v1/questionnaires/{questionnaire_id}", {
    params: { path: { questionnaire_id: "connection" }, query: { lang: "es" } },
  });
  const bands: Schemas["BandView"][] | undefined = spanish.data?.scales[0]?.bands;
  void bands;

  const started = await api.POST("/v1/assessments", {
    body: { questionnaire_id: "three-item-loneliness" },
    headers,
  });
  if (!started.data) throw new Error("not started");
  const assessment: Schemas["AssessmentRead"] = started.data;
  const status: Schemas["AssessmentStatus"] = assessment.status;
  void status;
  const etag = started.response.headers.get("ETag") ?? "";

  const saved = await api.PUT("/v1/assessments/{assessment_id}/answers", {
    params: { path: { assessment_id: assessment.id }, header: { "if-match": etag } },
    body: { answers: { "lack-companionship": 2, "left-out": 3, isolated: 2 } },
    headers,
  });
  if (saved.error) {
    const problem: Schemas["Problem"] = saved.error;
    throw new Error(problem.detail);
  }

  const submitted = await api.POST("/v1/assessments/{assessment_id}/submit", {
    params: {
      path: { assessment_id: assessment.id },
      header: { "idempotency-key": crypto.randomUUID() },
    },
    headers,
  });
  const result: Schemas["ResultRead"] | undefined = submitted.data;
  // Trace steps are one type per rule: narrowing on `rule` types `data`.
  for (const step of result?.trace ?? []) {
    if (step.rule === "band") {
      const band: string = step.data.band;
      void band;
    }
  }

  await api.POST("/v1/assessments/{assessment_id}/submit", {
    // @ts-expect-error Idempotency-Key is required on submit
    params: { path: { assessment_id: assessment.id } },
    headers,
  });

  const oneShot = await api.POST("/v1/submissions", {
    body: {
      id: crypto.randomUUID(),
      questionnaire_id: "three-item-loneliness",
      answers: { "lack-companionship": 2, "left-out": 3, isolated: 2 },
      answered_at: "2026-11-20T08:30:00Z",
    },
    headers,
  });
  // 201 and the replayed 200 both carry the submission: `data` is never just `undefined`.
  if (!oneShot.data) throw new Error("no submission");
  const scored: Schemas["SubmissionRead"] = oneShot.data;

  const history = await api.GET("/v1/me/assessments", {
    params: { query: { status: "submitted", limit: 10 } },
    headers,
  });
  const first: Schemas["HistoryEntry"] | undefined = history.data?.items[0];
  void first;
  const trend = await api.GET("/v1/me/trends", {
    params: { query: { questionnaire: "three-item-loneliness", scale: "loneliness" } },
    headers,
  });
  void trend.data?.changes;
  await api.PUT("/v1/me/consent", { body: { research: true }, headers });
  const exported = await api.GET("/v1/me/export", { headers });
  // An exported result is a typed result, not an open map.
  const stored: Schemas["ScoreResult"] | null | undefined = exported.data?.assessments[0]?.result;
  void stored;
  await api.DELETE("/v1/me", { headers });
  return scored;
}

export async function therapistInvites(baseUrl: string, token: string, client: string) {
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
  // `expires_in_days` and `show_feedback` have defaults: leaving them out type-checks.
  const invited = await api.POST("/v1/clients/{client_id}/invitations", {
    params: { path: { client_id: client } },
    body: { questionnaires: ["window-of-tolerance"] },
  });
  return invited.data?.url;
}
