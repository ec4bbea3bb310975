# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.
#
# Classifly: written without network access to the registry. The version
# and checksums (h1: per platform, zh: of the release's zips) are those that
# Terraform recorded for this release in a published lock file; they were
# not re-verified here. `terraform init` checks them against the
# registry's signed SHA256SUMS and refuses a mismatch; to refresh them run
# `terraform providers lock -platform=linux_amd64 -platform=linux_arm64
# -platform=darwin_amd64 -platform=darwin_arm64 -platform=windows_amd64`.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "6.56.0"
  constraints = "~> 6.0"
  hashes = [
    "h1:+gQCTlHACI1TDHT9nvKKGT4KTLrF2O4m3vrfBvqL++s=",
    "h1:2MDRcAi4Gqv+3bSTgH+Yx141nZzN2o8oPUtHrjdJlxE=",
    "h1:3ZVUVjID6VEEGwlikDXrPkuUhm5fnnk4xf5B8tfKq9I=",
    "h1:741DoGPD40A9X3e/30UA/TBlhhJFQwC6+1aLqM/v6r8=",
    "h1:B+fpqal2DK9JmGCoTla8KphcAHvszBA7cyVDyFa5JSw=",
    "h1:D2mP6emuXyVi/r6eQG1KYqnGrLmTOs4OoisPyU8xCcw=",
    "h1:DEUEOy961pXJOYDFIY0AoQ/1b6J1OKnTovQTf5g6EMs=",
    "h1:MhideOrA+/8rovaA9BC23G4dDrFNZ0mfrRMNptZBIS0=",
    "h1:QFtyHSjJtwYKIbnxk0F0l56LpiW0xQ8c8FW61vlBT5s=",
    "h1:VAJZ8Z7LhSf7+LNNgYWB2V7Fd/WFxMbJ4hTdxf5Tf8I=",
    "h1:WpeKsfS1hn9z9ZWTqsLbiG3cM3C617kIXnW+hGyKiME=",
    "h1:gFOXtatLSEFB4HoEVBvB6+D19117VzVP81aZTMc4lkU=",
    "h1:gSTd4VOv0lEjCGP5deZ4hRMBZhIOUbtS4AlCML+3gIo=",
    "h1:iWz9BgFQaDPA1ChVGYvgI3MlUnx3wSQCA2ggYqDPcz8=",
    "h1:vqC911lCEoiBOtv05dI5FYSc95LBTKrRBT87ju+MPhA=",
    "zh:2b3fbb3bebcc663b85d5fd9bbc2d131ab89322d696ff5c6ac6b7ffb7b5fe92e7",
    "zh:30e56ccc7f33a7778ab323a28fe893d8e9200dc5fb92ccb7023bee808db3c1b0",
    "zh:67dca271bef16547ef8ab5a6349f9bce39d91d7c1ae3d8388ada687ca774ba44",
    "zh:824c812695b14d2fddad5e22339d4520e16d9c875f5d5095f29003f49a6fd124",
    "zh:8372b12e30078d1df8b52e1285fd0d9d35160a7d18c3b0211f55229e5a832fd3",
    "zh:8922b45ab65e272e8951f70d890444ddb3441170d8fa6f51298f24f20d21943d",
    "zh:8fc4fb94ac8547717128cbcf296ac0ba0918738c4882029cbba46bd4812eb5e4",
    "zh:9b12af85486a96aedd8d7984b0ff811a4b42e3d88dad1a3fb4c0b580d04fa425",
    "zh:a2efcd0174b79c1dffce48a5984f137ebc6f67d2c2ee966b47210e1faeb05cf2",
    "zh:a4a50aa269a19c1d664b0dd59ee8047ed8a4a5b449f54733518309feccce1f43",
    "zh:a830d80316b3c3127c9e0c77b9d4f50702c9d1a884c08973ac50b326d9ac734a",
    "zh:d7e1b9bb2df3cdde8381ab101a807ae54e72c156d13a6b73dae2b922dca0c9f5",
    "zh:d87c2a1cfc03b01cf13dff3700898ab990e1817326728824da8499dd0129da72",
    "zh:fbb1848a597263c66dc6587ec8c3e0586e505e36f99d23752763534f62a3fef7",
    "zh:fcb54d08eb3c763f01223e12b4eacbd018478e8e67c6b8611940564dfbea3d90",
    "zh:ff6df70b2b2f75bd9000630f131c02e6bc2b9172cdb2547030f3fc019a3f3bc5",
  ]
}
