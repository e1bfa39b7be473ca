:logger.set_primary_config(:level, :none)
ExUnit.start()
