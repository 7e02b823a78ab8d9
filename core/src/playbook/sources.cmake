# The playbook loader's sources, relative to core/.
set(MUSTER_PLAYBOOK_SOURCES
  src/playbook/model.cc
  src/playbook/load.cc
  src/playbook/steps.cc
  src/playbook/include.cc
  src/playbook/validate.cc
  src/playbook/reader.cc
  src/playbook/yaml_guard.cc
  src/playbook/source.cc
  src/playbook/suggest.cc
  src/playbook/expression.cc
  src/playbook/triggers.cc
  src/playbook/fields.cc
  src/playbook/units.cc
  src/playbook/schedule.cc
)
