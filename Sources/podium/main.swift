// The `podium` command-line tool. No argument-parsing dependency: the command set is tiny.
import Foundation

exit(PodiumCommand.run(Array(CommandLine.arguments.dropFirst())))
