variable "alarm_email" {
  description = "Address the alarms notify (the recipient confirms the subscription from the mail AWS sends)."
  type        = string
  default     = "oncall@example.com"
}
