// A JSON Schema of what Security Hub's BatchImportFindings requires of a request, written
// from the AWS Security Hub API reference (AwsSecurityFinding, Resource, Severity, Workflow,
// ProcessDetails, ContainerDetails) and the ASFF user guide's required attributes: required
// top-level fields, their length limits, enums and formats. Timestamps as RFC 3339 with Z.
const TIME = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$";
const NON_BLANK = ".*\\S.*";

/** "namespace/category/classifier": a classifier has no "/", so GuardDuty's types carry "-" there. */
const TYPES = {
  type: "array",
  minItems: 1,
  maxItems: 50,
  items: {
    type: "string",
    pattern:
      "^(Software and Configuration Checks|TTPs|Effects|Unusual Behaviors|Sensitive Data Identifications)(/[^/]+){0,2}$",
  },
};

const finding = {
  type: "object",
  required: [
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "UpdatedAt",
    "Severity",
    "Title",
    "Description",
    "Resources",
  ],
  properties: {
    SchemaVersion: { const: "2018-10-08" },
    Id: { type: "string", minLength: 1, maxLength: 512, pattern: NON_BLANK },
    ProductArn: {
      type: "string",
      pattern: "^arn:aws(-cn|-us-gov)?:securityhub:[a-z0-9-]+:\\d{12}:product/\\d{12}/default$",
    },
    GeneratorId: { type: "string", minLength: 1, maxLength: 512, pattern: NON_BLANK },
    AwsAccountId: { type: "string", pattern: "^\\d{12}$" },
    Types: TYPES,
    // What the provider says, which Security Hub keeps apart from changes made in it.
    FindingProviderFields: {
      type: "object",
      properties: {
        Confidence: { type: "integer", minimum: 0, maximum: 100 },
        Criticality: { type: "integer", minimum: 0, maximum: 100 },
        Severity: {
          type: "object",
          properties: {
            Label: { enum: ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"] },
            Original: { type: "string" },
          },
          additionalProperties: false,
        },
        Types: TYPES,
      },
      additionalProperties: false,
    },
    CreatedAt: { type: "string", pattern: TIME },
    UpdatedAt: { type: "string", pattern: TIME },
    FirstObservedAt: { type: "string", pattern: TIME },
    LastObservedAt: { type: "string", pattern: TIME },
    Severity: {
      type: "object",
      required: ["Label"],
      properties: {
        Label: { enum: ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"] },
        Original: { type: "string" },
      },
    },
    Title: { type: "string", minLength: 1, maxLength: 256, pattern: NON_BLANK },
    Description: { type: "string", minLength: 1, maxLength: 1024, pattern: NON_BLANK },
    ProductFields: {
      type: "object",
      maxProperties: 50,
      propertyNames: { maxLength: 128 },
      additionalProperties: { type: "string", maxLength: 2048 },
    },
    Process: {
      type: "object",
      properties: {
        Name: { type: "string", minLength: 1 },
        Path: { type: "string", minLength: 1 },
        Pid: { type: "integer" },
        ParentPid: { type: "integer" },
      },
      additionalProperties: false,
    },
    Resources: {
      type: "array",
      minItems: 1,
      maxItems: 32,
      items: {
        type: "object",
        required: ["Type", "Id"],
        properties: {
          Type: { type: "string", minLength: 1, pattern: NON_BLANK },
          Id: { type: "string", minLength: 1, maxLength: 512, pattern: NON_BLANK },
          Partition: { enum: ["aws", "aws-cn", "aws-us-gov"] },
          Region: { type: "string", minLength: 1 },
          Details: {
            type: "object",
            properties: {
              Container: {
                type: "object",
                properties: {
                  Name: { type: "string" },
                  ImageId: { type: "string" },
                  ImageName: { type: "string" },
                },
                additionalProperties: false,
              },
            },
          },
        },
      },
    },
    RecordState: { enum: ["ACTIVE", "ARCHIVED"] },
    Workflow: {
      type: "object",
      properties: { Status: { enum: ["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"] } },
      additionalProperties: false,
    },
  },
};

/** The BatchImportFindings request body. */
export const batchImportFindingsSchema = {
  type: "object",
  required: ["Findings"],
  additionalProperties: false,
  properties: { Findings: { type: "array", minItems: 1, maxItems: 100, items: finding } },
};
