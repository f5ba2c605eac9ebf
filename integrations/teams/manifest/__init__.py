"""The Teams app package: manifest.json (schema v1.29) and its icons. Zip the three files to upload the app; set
`id`, `bots[0].botId`, `composeExtensions[0].botId` and `webApplicationInfo.id` to TEAMS_APP_ID first."""
