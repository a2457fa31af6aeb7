// What the official Google client (@googleapis/calendar) throws for an error answer,
// read as the HTTP status and the first error's reason, as apps branch on them.
export async function googleFailure(work: Promise<unknown>): Promise<{ code: number; reason: string | undefined }> {
  try {
    await work;
  } catch (error) {
    const e = error as { response?: { status: number; data?: { error?: { errors?: Array<{ reason: string }> } } } };
    if (e.response === undefined) throw error;
    return { code: e.response.status, reason: e.response.data?.error?.errors?.[0]?.reason };
  }
  throw new Error('expected the request to fail');
}
