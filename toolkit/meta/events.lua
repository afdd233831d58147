---@meta _
-- LuaLS shapes of the events FunctionGraph's triggers send (editor support
-- only).  Annotate a handler's event with one of them:
--
--   ---@param event fnlua.event.Timer
--   ---@param context fnlua.Context
--   function M.handler(event, context) ... end

---APIG / APIC trigger, and every request of an HTTP function (--mode http).
---@class fnlua.event.APIG
---@field httpMethod string
---@field path string
---@field headers table<string, string|string[]>
---@field queryStringParameters table<string, string|string[]>
---@field pathParameters table<string, string>
---@field body string base64 when isBase64Encoded (the default for APIG)
---@field isBase64Encoded boolean
---@field requestContext? fnlua.event.APIGRequestContext

---@class fnlua.event.APIGRequestContext
---@field apiId string
---@field requestId string
---@field stage string
---@field sourceIp string

---Timer trigger.
---@class fnlua.event.Timer
---@field version string "v1.0"
---@field time string "2023-06-01T08:30:00+08:00"
---@field trigger_type string "TIMER"
---@field trigger_name string
---@field user_event string the text configured on the trigger (may itself be JSON)

---SMN (Simple Message Notification) trigger.
---@class fnlua.event.SMN
---@field record fnlua.event.SMNRecord[]
---@field functionname string
---@field requestId string
---@field timestamp string

---@class fnlua.event.SMNRecord
---@field event_version string
---@field event_subscription_urn string
---@field event_source string "smn"
---@field smn fnlua.event.SMNMessage

---@class fnlua.event.SMNMessage
---@field topic_urn string
---@field timestamp string
---@field message_attributes table|lightuserdata|nil
---@field message string
---@field type string "notification"
---@field message_id string
---@field subject string

---OBS (object storage) trigger: S3-style records.
---@class fnlua.event.OBS
---@field Records fnlua.event.OBSRecord[]

---@class fnlua.event.OBSRecord
---@field eventVersion string
---@field eventTime string
---@field eventName string "ObjectCreated:Post", "ObjectRemoved:Delete", ...
---@field awsRegion string
---@field requestParameters {sourceIPAddress: string}
---@field userIdentity {principalId: string}
---@field s3 fnlua.event.OBSData

---@class fnlua.event.OBSData
---@field configurationId string
---@field bucket {name: string, arn: string, ownerIdentity: {PrincipalId: string}}
---@field object {key: string, size: integer, eTag: string, sequencer: string}

---Kafka trigger (DMS for Kafka and open-source Kafka).
---@class fnlua.event.Kafka
---@field event_version string
---@field event_time integer Unix seconds
---@field trigger_type string "KAFKA"
---@field region string
---@field instance_id string
---@field records fnlua.event.KafkaRecord[]

---@class fnlua.event.KafkaRecord
---@field messages string[]
---@field topic_id string

---DIS (Data Ingestion Service) trigger.
---@class fnlua.event.DIS
---@field ShardID string
---@field StreamName string
---@field Tag string
---@field Message fnlua.event.DISMessage

---@class fnlua.event.DISMessage
---@field next_partition_cursor string
---@field millis_behind_latest string
---@field records fnlua.event.DISRecord[]

---@class fnlua.event.DISRecord
---@field partition_key string
---@field data string base64 of the record
---@field sequence_number string
---@field timestamp? integer ms
---@field timestamp_type? string

---LTS (Log Tank Service) trigger: `lts.data` is base64 of the JSON text of
---fnlua.event.LTSData.
---@class fnlua.event.LTS
---@field lts {data: string}

---What `lts.data` decodes to (base64, then JSON).
---@class fnlua.event.LTSData
---@field logs string JSON text of an array of log records
---@field owner string
---@field log_group_id string
---@field log_topic_id string

---CTS (Cloud Trace Service) trigger.
---@class fnlua.event.CTS
---@field cts fnlua.event.CTSRecord

---@class fnlua.event.CTSRecord
---@field time integer
---@field user {name: string, id: string, domain: {name: string, id: string}}
---@field request table
---@field response table
---@field code integer
---@field service_type string
---@field resource_type string
---@field resource_name string
---@field resource_id string
---@field trace_name string
---@field trace_type string
---@field record_time integer
---@field trace_id string
---@field trace_status string
