// What IAM's last-accessed data can and cannot see (issue 13). Data, with its sources; a plan
// reads these, so a gap here errs towards keeping (an action missing from UNTRACKED_ACTIONS is
// treated as tracked only in a service listed in ACTION_LEVEL_SERVICES).

/**
 * Services with action-level last-accessed data (IAM User Guide, "IAM action last accessed
 * information services and actions"; AWS Security Blog, 2023-09-28: S3 management actions since
 * 2020, EC2, IAM and Lambda management actions since 2023; AWS keeps adding services). A service
 * whose report carries TrackedActionsLastAccessed counts as action-level whether listed or not.
 */
export const ACTION_LEVEL_SERVICES: ReadonlySet<string> = new Set(["s3", "ec2", "iam", "lambda"]);

/**
 * Actions IAM does not track, as IAM patterns: evidence can never show them used, so a used
 * service keeps them ("unknown", never "unused").
 * - iam:PassRole: "The iam:PassRole action is not tracked" (IAM User Guide, access advisor).
 * - S3 data events (object-level operations, ListObjects): "not available for Amazon S3 data
 *   events" (IAM User Guide, action last accessed).
 * - Lambda and DynamoDB data-plane calls (invocations, item reads and writes): CloudTrail data
 *   events, which last-accessed data does not record.
 */
export const UNTRACKED_ACTIONS: readonly string[] = [
  "iam:PassRole",
  "s3:GetObject*",
  "s3:PutObject*",
  "s3:DeleteObject*",
  "s3:RestoreObject",
  "s3:AbortMultipartUpload",
  "s3:ListMultipartUploadParts",
  "s3:ListBucket",
  "s3:ListBucketVersions",
  "s3:ListBucketMultipartUploads",
  "s3:ReplicateObject",
  "s3:ReplicateDelete",
  "s3:ReplicateTags",
  "lambda:InvokeFunction",
  "lambda:InvokeFunctionUrl",
  "lambda:InvokeAsync",
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:BatchGetItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:TransactGetItems",
  "dynamodb:TransactWriteItems",
  "dynamodb:ConditionCheckItem",
  "dynamodb:PartiQL*",
];

/** IAM's size limit for a customer-managed policy (a permissions boundary is one), whitespace excluded. */
export const MANAGED_POLICY_MAX_CHARS = 6_144;
